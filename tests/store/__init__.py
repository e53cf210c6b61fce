"""Tests of the store backends (a package, so `store.contract` cannot clash with another family's contract module)."""
