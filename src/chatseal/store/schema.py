"""The versioned migration scripts each store backend applies, shipped as package data under
`chatseal/store/migrations/<dialect>/NNNN_name.sql`."""

from __future__ import annotations

from importlib import resources


def migrations(dialect: str) -> list[tuple[int, str]]:
    """Return (version, script) for every migration of a dialect, oldest first."""
    folder = resources.files("chatseal.store") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)
