"""Storage backends behind the `Store` Protocol."""

from chatseal.store.base import (
    ClientRow,
    ConversationRow,
    DataKeyRow,
    ItemRow,
    PageItem,
    PageRead,
    Store,
    StoreTx,
    TenantRow,
)
from chatseal.store.registry import open_store, register

__all__ = [
    "ClientRow",
    "ConversationRow",
    "DataKeyRow",
    "ItemRow",
    "PageItem",
    "PageRead",
    "Store",
    "StoreTx",
    "TenantRow",
    "open_store",
    "register",
]
