"""casebook: validate, index and render a library of 两新党建工作法 cases."""
