"""A principal's view of the store, named after the OpenAI SDK's resources:
`session.conversations.create/retrieve/update/delete` and
`session.conversations.items.create/list/retrieve/delete`."""

from __future__ import annotations

import hmac
import operator
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from chatseal.crypto import DataKey, RecordAddress, open_records
from chatseal.errors import InvalidRequest, NotFound, PermissionDenied
from chatseal.keys import WrappedKey
from chatseal.model import (
    PROMPT_ROLES,
    Conversation,
    ConversationDeleted,
    ItemList,
    Principal,
    normalise_item,
    validate_classification,
    validate_metadata,
)
from chatseal.service.access import CLASSIFICATION_RANK, Decision, Resource
from chatseal.service.sealing import (
    CONTENT,
    PROMPTS,
    data_key_context,
    open_json,
    parse_json_many,
    seal_json,
)
from chatseal.store import ConversationRow, DataKeyRow, ItemRow, PageItem, StoreTx

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal, TenantKeys

MAX_ITEMS_PER_REQUEST = 20
MAX_LIST_LIMIT = 100
WITHHELD = "withheld: prompt material needs prompts.read"


_ROLE = operator.itemgetter(4)  # a PageItem's role


def _withheld(row: PageItem) -> dict[str, Any]:
    item_id, _, _, item_type, role = row
    return {
        "id": item_id,
        "type": item_type,
        "status": "completed",
        "role": role,
        "content": [],
        "withheld": WITHHELD,
    }


def _namespace(item: dict[str, Any]) -> str:
    if item.get("type") == "message" and item.get("role") in PROMPT_ROLES:
        return PROMPTS
    return CONTENT


class _Page(NamedTuple):
    """One opened page: each item's JSON, the ids at its ends, and whether more follow."""

    items: list[bytes]
    first_id: str | None
    last_id: str | None
    has_more: bool


@dataclass
class _Keys:
    """A conversation's unwrapped data keys by namespace, with the KEK version of each."""

    by_namespace: dict[str, tuple[DataKey, int]]


class Session:
    """What one principal may do."""

    def __init__(self, seal: ChatSeal, principal: Principal, request_id: str | None = None) -> None:
        self.seal = seal
        self.principal = principal
        self.request_id = request_id or f"req_{os.urandom(12).hex()}"
        self.conversations = Conversations(self)
        self._actor: dict[str, Any] | None = None
        self._decision: Decision | None = None

    # -- audit ---------------------------------------------------------------------------

    def event(
        self,
        kind: str,
        action: str,
        resource: dict[str, str | int],
        *,
        allowed: bool = True,
        reason: str | None = None,
    ) -> bytes | None:
        """Build an audit event for this principal (None when the audit log is off)."""
        audit = self.seal.audit
        if audit is None:
            return None
        if self._actor is None:
            self._actor = audit.actor(self.principal)
        decision = self._decision
        return audit.event(
            kind,
            self._actor,
            action,
            allowed,
            reason or (decision.reason if decision else "allowed"),
            decision.policy_version if decision else self.seal.policy_version,
            self.request_id,
            {"tenant": self.principal.tenant, **resource},
        )

    def record(self, tx: StoreTx, kind: str, action: str, **resource: str | int) -> None:
        """Queue an event in `tx`, the transaction of the change it records."""
        data = self.event(kind, action, resource)
        if data is not None:
            tx.enqueue_audit(data)

    def guard(self, action: str, **resource: str | int) -> _Guard:
        """Record a denial (not found or forbidden) in its own transaction, then re-raise."""
        self._decision = None
        return _Guard(self, action, resource)

    def record_denial(self, action: str, resource: dict[str, str | int]) -> None:
        """Queue the event of a denied request in its own transaction (its change rolled back)."""
        reason = self._decision.reason if self._decision else "not-found"
        data = self.event("access.decision", action, resource, allowed=False, reason=reason)
        if data is not None and self.seal.audit is not None:
            self.seal.audit.record_now(data)

    # -- shared steps --------------------------------------------------------------------

    def tenant(self, tx: StoreTx | None = None) -> TenantKeys:
        """The principal's tenant; a missing tenant looks like a missing resource."""
        return self.seal.tenant_keys(self.principal.tenant, tx)

    def my_owner_tag(self, tenant: TenantKeys) -> bytes:
        """The principal's owner tag in its tenant."""
        return tenant.owner_tag(self.principal.subject)

    def resource(self, tenant: TenantKeys, row: ConversationRow) -> Resource:
        """Describe a conversation for the decision point."""
        mine = self.my_owner_tag(tenant)
        return Resource(
            kind="conversation",
            tenant=tenant.row.name,
            id=row.conversation_id,
            classification=row.classification,
            owned=hmac.compare_digest(mine, row.owner_tag),
        )

    def authorize(self, action: str, resource: Resource) -> None:
        """Raise NotFound for an invisible resource, PermissionDenied for a forbidden action."""
        decision = self.seal.authorizer.decide(self.principal, action, resource)
        self._decision = decision
        if decision.allowed:
            return
        if not decision.visible:
            # The same answer as for a missing conversation: existence is not disclosed.
            if resource.kind == "conversation" and resource.id:
                raise NotFound(f"no conversation with id '{resource.id}'", param="conversation_id")
            raise NotFound("not found")
        raise PermissionDenied(f"not allowed to {action}")

    def may(self, action: str, resource: Resource) -> bool:
        """Return whether an action is allowed, without raising."""
        return self.seal.authorizer.decide(self.principal, action, resource).allowed

    def load(
        self, tx: StoreTx, tenant: TenantKeys, conversation_id: str, action: str
    ) -> tuple[ConversationRow, list[DataKeyRow]]:
        """Fetch a conversation with its wrapped keys and decide the action on it, inside `tx`."""
        found = (
            tx.get_conversation_with_keys(tenant.row.tenant_id, conversation_id)
            if conversation_id
            else None
        )
        if found is None:
            raise NotFound(f"no conversation with id '{conversation_id}'", param="conversation_id")
        self.authorize(action, self.resource(tenant, found[0]))
        return found

    def keys(self, rows: Iterable[DataKeyRow], tx: StoreTx | None = None) -> _Keys:
        """Unwrap a conversation's data keys through the cache; a miss is a `key.unwrap` event."""
        found: dict[str, tuple[DataKey, int]] = {}
        for row in rows:
            context = data_key_context(row.tenant_id, row.conversation_id, row.namespace)
            wrapped = WrappedKey(row.kek_version, row.wrapped)
            key, missed = self.seal.cache.lookup(row.tenant_id, wrapped, context)
            if missed and tx is not None:
                self.record(
                    tx,
                    "key.unwrap",
                    "key.unwrap",
                    conversation=row.conversation_id,
                    key=row.namespace,
                    key_version=row.kek_version,
                )
            found[row.namespace] = (key, row.kek_version)
        return _Keys(found)

    def new_data_key(
        self, tenant_id: str, conversation_id: str, namespace: str
    ) -> tuple[DataKeyRow, DataKey]:
        """Generate a data key for a conversation namespace; cache it and return its row."""
        context = data_key_context(tenant_id, conversation_id, namespace)
        raw, wrapped = self.seal.keys.generate_data_key(tenant_id, context)
        key = DataKey(raw)
        self.seal.cache.put(tenant_id, wrapped, context, key)
        row = DataKeyRow(
            tenant_id,
            conversation_id,
            namespace,
            wrapped.kek_version,
            wrapped.blob,
            self.seal.now(),
        )
        return row, key

    def seal_items(
        self,
        tenant_id: str,
        conversation_id: str,
        items: Sequence[dict[str, Any]],
        first_position: int,
        keys: _Keys,
    ) -> list[ItemRow]:
        """Seal normalised items at consecutive positions."""
        now = self.seal.now()
        rows = []
        for offset, item in enumerate(items):
            position = first_position + offset
            key, kek_version = keys.by_namespace[_namespace(item)]
            address = RecordAddress(tenant_id, conversation_id, item["id"], position)
            role = item.get("role") if item["type"] == "message" else None
            sealed = seal_json(key, kek_version, address, item)
            rows.append(
                ItemRow(
                    tenant_id,
                    conversation_id,
                    position,
                    item["id"],
                    item["type"],
                    role,
                    now,
                    sealed,
                )
            )
        return rows

    def open_items(
        self,
        tenant_id: str,
        conversation_id: str,
        rows: Sequence[PageItem],
        keys: _Keys,
        may_read_prompts: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        """Open a page of items; prompt material is withheld without prompts.read."""
        return parse_json_many(
            self.open_items_json(tenant_id, conversation_id, rows, keys, may_read_prompts)
        )

    def open_items_json(
        self,
        tenant_id: str,
        conversation_id: str,
        rows: Sequence[PageItem],
        keys: _Keys,
        may_read_prompts: Callable[[], bool],
    ) -> list[bytes]:
        """Open a page of items to their JSON (each record holds its item's JSON, sealed from
        orjson); prompt material is withheld without prompts.read, asked only when the page
        holds prompt material."""
        # The common page has no prompt role at all: one namespace, one batch. The scan runs in
        # C (map), since every page read pays it.
        if PROMPT_ROLES.isdisjoint(map(_ROLE, rows)):
            return self._open_batch(tenant_id, conversation_id, rows, keys, CONTENT)
        prompts = [
            i for i, row in enumerate(rows) if row[4] in PROMPT_ROLES and row[3] == "message"
        ]
        opened: list[bytes] = [b""] * len(rows)
        prompt_set = set(prompts)
        others = [i for i in range(len(rows)) if i not in prompt_set]
        batch = self._open_batch(
            tenant_id, conversation_id, [rows[i] for i in others], keys, CONTENT
        )
        for index, item in zip(others, batch, strict=True):
            opened[index] = item
        if may_read_prompts():
            batch = self._open_batch(
                tenant_id, conversation_id, [rows[i] for i in prompts], keys, PROMPTS
            )
        else:
            batch = [orjson.dumps(_withheld(rows[i])) for i in prompts]
        for index, item in zip(prompts, batch, strict=True):
            opened[index] = item
        return opened

    def _open_batch(
        self,
        tenant_id: str,
        conversation_id: str,
        rows: Sequence[PageItem],
        keys: _Keys,
        namespace: str,
    ) -> list[bytes]:
        if not rows:
            return []
        key, _ = keys.by_namespace.get(namespace) or keys.by_namespace[CONTENT]
        return open_records(key, tenant_id, conversation_id, rows)

    def open_conversation(self, row: ConversationRow, keys: _Keys) -> Conversation:
        """Open a conversation's sealed metadata."""
        key, _ = keys.by_namespace[CONTENT]
        address = RecordAddress(
            row.tenant_id, row.conversation_id, row.conversation_id, 0, "metadata"
        )
        metadata = open_json(key, address, row.metadata)
        return Conversation(row.conversation_id, row.created_at, metadata, row.classification)

    def normalise(self, items: object, *, param: str = "items") -> list[dict[str, Any]]:
        """Validate input items (≤ 20 per request, as OpenAI allows)."""
        if items is None:
            return []
        if not isinstance(items, list):
            raise InvalidRequest("'items' must be a list", param=param)
        if len(items) > MAX_ITEMS_PER_REQUEST:
            raise InvalidRequest(f"at most {MAX_ITEMS_PER_REQUEST} items per request", param=param)
        return [
            normalise_item(raw, self.seal.ids.new, param=f"{param}[{i}]")
            for i, raw in enumerate(items)
        ]


class _Guard:
    """`Session.guard`: a class, not a generator, since every request passes through it."""

    __slots__ = ("_action", "_resource", "_session")

    def __init__(self, session: Session, action: str, resource: dict[str, str | int]) -> None:
        self._session = session
        self._action = action
        self._resource = resource

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and isinstance(exc, NotFound | PermissionDenied):
            self._session.record_denial(self._action, self._resource)
            raise exc from None


class Conversations:
    """`conversations.create/retrieve/update/delete`."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self.items = Items(session)

    def create(
        self,
        *,
        items: list[dict[str, Any]] | None = None,
        metadata: dict[str, str] | None = None,
        classification: str | None = None,
    ) -> Conversation:
        """Create a conversation (with up to 20 initial items), owned by the principal.

        Without a classification it takes the tenant's `default_classification` (else internal).
        """
        s = self._s
        clean_metadata = validate_metadata(metadata)
        if classification is not None:
            validate_classification(classification)
        normalised = s.normalise(items)
        with s.guard("conversation.create"):
            tenant = s.tenant()
            tenant_id = tenant.row.tenant_id
            tier = validate_classification(classification or tenant.default_classification)
            s.authorize(
                "conversation.create",
                Resource("conversation", tenant.row.name, classification=tier, owned=True),
            )
        conversation_id = s.seal.ids.new("conv")
        key_rows: list[DataKeyRow] = []
        unwrapped: dict[str, tuple[DataKey, int]] = {}
        namespaces = {CONTENT} | {_namespace(item) for item in normalised}
        for namespace in sorted(namespaces):
            key_row, key = s.new_data_key(tenant_id, conversation_id, namespace)
            key_rows.append(key_row)
            unwrapped[namespace] = (key, key_row.kek_version)
        keys = _Keys(unwrapped)
        content_key, content_version = unwrapped[CONTENT]
        sealed_metadata = seal_json(
            content_key,
            content_version,
            RecordAddress(tenant_id, conversation_id, conversation_id, 0, "metadata"),
            clean_metadata,
        )
        row = ConversationRow(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            created_at=s.seal.now(),
            classification=tier,
            owner_tag=s.my_owner_tag(tenant),
            metadata=sealed_metadata,
        )
        # Data minimisation (service/minimisation.py): redact before sealing, vault the originals.
        prepared = s.seal.minimisation.prepare(
            tenant, tier, conversation_id, normalised, unwrapped[CONTENT]
        )
        normalised = prepared.items
        item_rows = s.seal_items(tenant_id, conversation_id, normalised, 0, keys)
        with s.seal.write() as tx:
            tx.insert_conversation(row, key_rows)
            tx.insert_items(item_rows)
            prepared.store(tx)
            for key_row in key_rows:
                s.record(
                    tx,
                    "key.generate",
                    "key.generate",
                    conversation=conversation_id,
                    key=key_row.namespace,
                    key_version=key_row.kek_version,
                )
            s.record(
                tx,
                "conversation.create",
                "conversation.create",
                conversation=conversation_id,
                item_count=len(item_rows),
            )
        return Conversation(
            conversation_id, row.created_at, clean_metadata, tier, s.principal.subject
        )

    def retrieve(self, conversation_id: str) -> Conversation:
        """Return a conversation with its metadata."""
        s = self._s
        with (
            s.guard("conversation.read", conversation=conversation_id),
            s.seal.audited_read() as tx,
        ):
            tenant = s.tenant(tx)
            row, key_rows = s.load(tx, tenant, conversation_id, "conversation.read")
            keys = s.keys(key_rows, tx)
            s.record(tx, "access.decision", "conversation.read", conversation=conversation_id)
        return s.open_conversation(row, keys)

    def update(self, conversation_id: str, *, metadata: dict[str, str]) -> Conversation:
        """Replace a conversation's metadata."""
        s = self._s
        clean = validate_metadata(metadata)
        with s.guard("conversation.update", conversation=conversation_id), s.seal.write() as tx:
            tenant = s.tenant(tx)
            tenant_id = tenant.row.tenant_id
            row, key_rows = s.load(tx, tenant, conversation_id, "conversation.update")
            key, version = s.keys(key_rows, tx).by_namespace[CONTENT]
            address = RecordAddress(tenant_id, conversation_id, conversation_id, 0, "metadata")
            sealed = seal_json(key, version, address, clean)
            tx.update_conversation(tenant_id, conversation_id, metadata=sealed)
            s.record(tx, "access.decision", "conversation.update", conversation=conversation_id)
        return Conversation(conversation_id, row.created_at, clean, row.classification)

    def raise_classification(self, conversation_id: str, classification: str) -> Conversation:
        """Raise a conversation's tier; lowering it is refused (never silently lowered)."""
        s = self._s
        tier = validate_classification(classification)
        with s.guard("conversation.update", conversation=conversation_id), s.seal.write() as tx:
            tenant = s.tenant(tx)
            row, _ = s.load(tx, tenant, conversation_id, "conversation.update")
            if CLASSIFICATION_RANK[tier] < CLASSIFICATION_RANK[row.classification]:
                raise InvalidRequest(
                    "a classification can be raised, never lowered", param="classification"
                )
            tx.update_conversation(tenant.row.tenant_id, conversation_id, classification=tier)
            s.record(tx, "config.change", "conversation.classify", conversation=conversation_id)
        return self.retrieve(conversation_id)

    def delete(self, conversation_id: str) -> ConversationDeleted:
        """Delete a conversation: its rows and its wrapped data keys go in one transaction.

        The `conversation.delete` leaf is the deletion receipt: its inclusion proof (a C2SP
        tlog-proof from `GET /v1/audit/receipt/{index}`) shows what was destroyed and when.
        """
        s = self._s
        with s.guard("conversation.delete", conversation=conversation_id), s.seal.write() as tx:
            tenant = s.tenant(tx)
            tenant_id = tenant.row.tenant_id
            _, key_rows = s.load(tx, tenant, conversation_id, "conversation.delete")
            removed = tx.delete_conversation(tenant_id, conversation_id)
            s.record(
                tx,
                "conversation.delete",
                "conversation.delete",
                conversation=conversation_id,
                item_count=removed,
            )
            for key_row in key_rows:
                s.record(
                    tx,
                    "key.destroy",
                    "key.destroy",
                    conversation=conversation_id,
                    key=key_row.namespace,
                    key_version=key_row.kek_version,
                )
        for key_row in key_rows:
            context = data_key_context(tenant_id, conversation_id, key_row.namespace)
            wrapped = WrappedKey(key_row.kek_version, key_row.wrapped)
            s.seal.cache.forget(tenant_id, wrapped, context)
        # Fold the WAL so no copy of the wrapped data key lingers in it (secure_delete zeroes the
        # database pages themselves).
        s.seal.store.compact()
        return ConversationDeleted(conversation_id)


class Items:
    """`conversations.items.create/list/retrieve/delete`."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def create(self, conversation_id: str, *, items: list[dict[str, Any]]) -> ItemList:
        """Append items to a conversation; returns them as a list object, as OpenAI does."""
        s = self._s
        normalised = s.normalise(items)
        if not normalised:
            raise InvalidRequest("'items' must hold at least one item", param="items")
        with s.guard("item.append", conversation=conversation_id), s.seal.write() as tx:
            tenant = s.tenant(tx)
            tenant_id = tenant.row.tenant_id
            # One statement finds the conversation, its keys and its next position under the
            # write lock; a denial below rolls back with the transaction.
            found = tx.open_for_append(tenant_id, conversation_id)
            if found is None:
                raise NotFound(
                    f"no conversation with id '{conversation_id}'", param="conversation_id"
                )
            row, first, key_rows = found
            s.authorize("item.append", s.resource(tenant, row))
            keys = s.keys(key_rows, tx)
            for namespace in {_namespace(item) for item in normalised} - keys.by_namespace.keys():
                key_row, key = s.new_data_key(tenant_id, conversation_id, namespace)
                tx.insert_data_key(key_row)
                keys.by_namespace[namespace] = (key, key_row.kek_version)
                s.record(
                    tx,
                    "key.generate",
                    "key.generate",
                    conversation=conversation_id,
                    key=namespace,
                    key_version=key_row.kek_version,
                )
            prepared = s.seal.minimisation.prepare(
                tenant, row.classification, conversation_id, normalised, keys.by_namespace[CONTENT]
            )
            normalised = prepared.items
            prepared.store(tx)
            tx.insert_items(s.seal_items(tenant_id, conversation_id, normalised, first, keys))
            s.record(
                tx,
                "item.append",
                "item.append",
                conversation=conversation_id,
                position=first,
                item_count=len(normalised),
            )
        return ItemList(normalised, has_more=False)

    def list(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: str = "desc",
        include: Sequence[str] | None = None,
    ) -> ItemList:
        """Return a page of items in position order (`desc` by default, as OpenAI does)."""
        _ = include  # items are stored whole, so every includable field is already present
        page = self._page(conversation_id, after, limit, order)
        return ItemList(parse_json_many(page.items), has_more=page.has_more)

    def list_json(
        self,
        conversation_id: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: str = "desc",
        include: Sequence[str] | None = None,
    ) -> bytes:
        """The page `list` returns, as the JSON of OpenAI's list object.

        Each opened record already is its item's JSON (authenticated, and sealed from orjson's
        output), so a server can send it without parsing and serialising it again; the bytes
        equal `orjson.dumps(list(...).to_dict())`.
        """
        _ = include
        page = self._page(conversation_id, after, limit, order)
        tail = orjson.dumps(
            {"first_id": page.first_id, "last_id": page.last_id, "has_more": page.has_more}
        )
        return b'{"object":"list","data":[' + b",".join(page.items) + b"]," + tail[1:]

    def _page(self, conversation_id: str, after: str | None, limit: int, order: str) -> _Page:
        """Read, decide, record and open one page (what `list` and `list_json` share)."""
        s = self._s
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= MAX_LIST_LIMIT
        ):
            raise InvalidRequest(f"'limit' must be between 1 and {MAX_LIST_LIMIT}", param="limit")
        if order not in ("asc", "desc"):
            raise InvalidRequest("'order' must be 'asc' or 'desc'", param="order")
        with s.guard("item.read", conversation=conversation_id), s.seal.audited_read() as tx:
            tenant = s.tenant(tx)
            # One store call (one round trip on PostgreSQL) reads the conversation, its keys and
            # the page; the decision comes before anything is opened or reported.
            read = (
                tx.read_page(
                    tenant.row.tenant_id,
                    conversation_id,
                    after_item=after or None,
                    limit=limit + 1,
                    descending=order == "desc",
                )
                if conversation_id
                else None
            )
            if read is None:
                raise NotFound(
                    f"no conversation with id '{conversation_id}'", param="conversation_id"
                )
            row = read.conversation
            s.authorize("item.read", s.resource(tenant, row))
            if not read.after_found:
                raise InvalidRequest(f"no item '{after}' in this conversation", param="after")
            rows = read.items
            page = rows[:limit]
            keys = s.keys(read.keys, tx)
            s.record(
                tx, "item.read", "item.read", conversation=conversation_id, item_count=len(page)
            )
        items = s.open_items_json(
            row.tenant_id,
            row.conversation_id,
            page,
            keys,
            lambda: s.may("prompts.read", s.resource(tenant, row)),
        )
        # A page row's item id is its record's: the id is bound into the record's AD.
        return _Page(
            items,
            page[0][0] if page else None,
            page[-1][0] if page else None,
            len(rows) > limit,
        )

    def retrieve(self, item_id: str, *, conversation_id: str) -> dict[str, Any]:
        """Return one item."""
        s = self._s
        with s.guard("item.read", conversation=conversation_id), s.seal.audited_read() as tx:
            tenant = s.tenant(tx)
            tenant_id = tenant.row.tenant_id
            row, key_rows = s.load(tx, tenant, conversation_id, "item.read")
            item_row = tx.get_item(tenant_id, conversation_id, item_id)
            if item_row is None:
                raise NotFound(f"no item with id '{item_id}'", param="item_id")
            keys = s.keys(key_rows, tx)
            s.record(tx, "item.read", "item.read", conversation=conversation_id, item_count=1)
        listed = (
            item_row.item_id,
            item_row.position,
            item_row.sealed,
            item_row.item_type,
            item_row.role,
        )
        return s.open_items(
            tenant_id,
            conversation_id,
            [listed],
            keys,
            lambda: s.may("prompts.read", s.resource(tenant, row)),
        )[0]

    def delete(self, item_id: str, *, conversation_id: str) -> Conversation:
        """Delete one item; returns the conversation, as OpenAI does."""
        s = self._s
        with s.guard("item.delete", conversation=conversation_id), s.seal.write() as tx:
            tenant = s.tenant(tx)
            tenant_id = tenant.row.tenant_id
            row, key_rows = s.load(tx, tenant, conversation_id, "item.delete")
            if not tx.delete_item(tenant_id, conversation_id, item_id):
                raise NotFound(f"no item with id '{item_id}'", param="item_id")
            keys = s.keys(key_rows, tx)
            s.record(tx, "item.delete", "item.delete", conversation=conversation_id, item_count=1)
        return s.open_conversation(row, keys)
