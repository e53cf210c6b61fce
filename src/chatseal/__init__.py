"""ChatSeal: a secure store for AI chat histories.

import chatseal
cs = chatseal.open("./.chatseal", create=True)
cs.tenants.create("acme")
s = cs.session(chatseal.Principal.of("acme", "alice", "user"))
conv = s.conversations.create(items=[{"role": "user", "content": "hello"}])
s.conversations.items.list(conv.id, order="asc")
"""

from __future__ import annotations

import os

from chatseal.errors import (
    ChatSealError,
    IntegrityError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from chatseal.model import Conversation, ConversationDeleted, ItemList, Principal, Tenant
from chatseal.service import ChatSeal, Session

__version__ = "0.1.0"


def open(
    home: str | os.PathLike[str] | None = None,
    *,
    store_url: str | None = None,
    keys_url: str | None = None,
    create: bool = False,
) -> ChatSeal:
    """Open a ChatSeal home (see `ChatSeal.open`)."""
    return ChatSeal.open(home, store_url=store_url, keys_url=keys_url, create=create)


__all__ = [
    "ChatSeal",
    "ChatSealError",
    "Conversation",
    "ConversationDeleted",
    "IntegrityError",
    "InvalidRequest",
    "ItemList",
    "NotFound",
    "PermissionDenied",
    "Principal",
    "Session",
    "Tenant",
    "__version__",
    "open",
]
