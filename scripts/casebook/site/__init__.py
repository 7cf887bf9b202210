"""The web site: render pages from the index, the MkDocs plugin, search index, build and publish. Imports only core."""
