"""Tests of the key backends (a package, so `keys.contract` cannot clash with another family's contract module)."""
