"""labtrack's version: the one place it is written (pyproject.toml reads it from here;
tests/test_version.py checks package.json and the installed metadata agree)."""

__version__ = "0.1.0"
