"""Plain data: tenants, principals, conversations and items in the OpenAI Conversations shapes."""

from chatseal.model.conversation import (
    CLASSIFICATIONS,
    Conversation,
    ConversationDeleted,
    validate_classification,
    validate_metadata,
)
from chatseal.model.item import (
    ITEM_ID_PREFIXES,
    MESSAGE_ROLES,
    PROMPT_ROLES,
    ItemList,
    normalise_item,
)
from chatseal.model.principal import Principal
from chatseal.model.tenant import Tenant, validate_tenant_name

__all__ = [
    "CLASSIFICATIONS",
    "ITEM_ID_PREFIXES",
    "MESSAGE_ROLES",
    "PROMPT_ROLES",
    "Conversation",
    "ConversationDeleted",
    "ItemList",
    "Principal",
    "Tenant",
    "normalise_item",
    "validate_classification",
    "validate_metadata",
    "validate_tenant_name",
]
