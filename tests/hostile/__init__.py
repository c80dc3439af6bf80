"""Hostile-input tests: query guards, build input, interrupted output, properties and fuzzing."""
