"""The engine-independent core: schema, load, validate, index, report. Imports nothing else of casebook."""
