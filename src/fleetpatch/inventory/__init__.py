"""Host inventory: the report schema, its records, parsers of package databases, collectors."""
