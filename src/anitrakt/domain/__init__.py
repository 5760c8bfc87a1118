"""Pure rules and value types: no I/O, no imports from the rest of anitrakt."""
