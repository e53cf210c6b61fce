"""The public face of chatseal.redaction."""

from __future__ import annotations

import chatseal.redaction as redaction


def test_all_is_complete() -> None:
    """Every public class and constant of the package is in __all__, once, and importable."""
    public = {n for n in dir(redaction) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(redaction.__all__)
    assert len(set(redaction.__all__)) == len(redaction.__all__)
    assert all(hasattr(redaction, name) for name in redaction.__all__)
