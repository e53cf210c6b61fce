"""Key backends chosen by URL: `local:`, `pkcs11:`, `transit:`, `awskms:` (DESIGN.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatseal.clock import Clock
from chatseal.errors import ConfigError
from chatseal.keys.base import KeyManager


@dataclass(frozen=True)
class KeyContext:
    """What a backend may need besides its URL."""

    home: Path
    clock: Clock


Factory = Callable[[str, KeyContext], KeyManager]


def _local(url: str, ctx: KeyContext) -> KeyManager:
    from chatseal.keys.local import LocalKeyManager, RootKeySource

    rest = url.removeprefix("local:").removeprefix("//")
    keyring = Path(rest) if rest else ctx.home / "keyring.json"
    return LocalKeyManager(keyring, RootKeySource.from_env(ctx.home / "root.key"), ctx.clock)


_FACTORIES: dict[str, Factory] = {"local": _local}


def register(scheme: str, factory: Factory) -> None:
    """Add a backend (each optional backend module registers itself on import)."""
    _FACTORIES[scheme] = factory


def _load_optional(scheme: str) -> None:
    """Import the module of an optional backend so that it registers itself."""
    import importlib

    modules = {
        "pkcs11": "chatseal.keys.pkcs11",
        "transit": "chatseal.keys.transit",
        "awskms": "chatseal.keys.awskms",
    }
    name = modules.get(scheme)
    if name is not None:
        importlib.import_module(name)


def open_key_manager(url: str, ctx: KeyContext) -> KeyManager:
    """Return the backend for a key URL."""
    scheme = url.split(":", 1)[0]
    if scheme not in _FACTORIES:
        with contextlib.suppress(ModuleNotFoundError):
            _load_optional(scheme)
    factory = _FACTORIES.get(scheme)
    if factory is None:
        raise ConfigError(
            f"unknown key backend '{scheme}:' (known: local, pkcs11, transit, awskms)"
        )
    return factory(url, ctx)
