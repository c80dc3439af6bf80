"""Render stage: self-contained HTML views of the build for people (the explorer, the report).

Every page works from file:// with no network: third-party JS/CSS is read from installed packages
at run time and inlined, never copied into the repository.
"""
