"""The service layer: `ChatSeal`, the one orchestrator, and a principal's `Session`."""

from chatseal.service.access import Authorizer, Decision, Resource, RolePolicy
from chatseal.service.chatseal import ChatSeal, TenantKeys, initialise_home
from chatseal.service.session import Session

__all__ = [
    "Authorizer",
    "ChatSeal",
    "Decision",
    "Resource",
    "RolePolicy",
    "Session",
    "TenantKeys",
    "initialise_home",
]
