"""Stores chosen by URL: `sqlite:///path`, `postgresql://…` (DESIGN.md)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from chatseal.errors import ConfigError, MissingExtra
from chatseal.store.base import Store

Factory = Callable[[str], Store]


def _sqlite(url: str) -> Store:
    from chatseal.store.sqlite import SqliteStore

    return SqliteStore(url)


_FACTORIES: dict[str, Factory] = {"sqlite": _sqlite}
_OPTIONAL = {
    "postgresql": ("chatseal.store.postgres", "postgres"),
    "postgres": ("chatseal.store.postgres", "postgres"),
}


def register(scheme: str, factory: Factory) -> None:
    """Add a store backend (optional backends register themselves on import)."""
    _FACTORIES[scheme] = factory


def open_store(url: str) -> Store:
    """Return the store for a URL."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in _FACTORIES and scheme in _OPTIONAL:
        module, extra = _OPTIONAL[scheme]
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("chatseal"):
                raise ConfigError(f"the '{scheme}' store is not available in this build") from None
            raise MissingExtra(extra, f"the {scheme} store") from None
    factory = _FACTORIES.get(scheme)
    if factory is None:
        raise ConfigError(f"unknown store '{scheme}:' (known: sqlite, postgresql)")
    return factory(url)
