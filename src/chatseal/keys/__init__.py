"""Key management: the `KeyManager` Protocol, its backends and the data-key cache."""

from chatseal.keys.base import KeyInfo, KeyManager, KeyVersion, WrappedKey
from chatseal.keys.cache import CacheLimits, DataKeyCache
from chatseal.keys.registry import KeyContext, open_key_manager, register

__all__ = [
    "CacheLimits",
    "DataKeyCache",
    "KeyContext",
    "KeyInfo",
    "KeyManager",
    "KeyVersion",
    "WrappedKey",
    "open_key_manager",
    "register",
]
