"""Audit events: one leaf each, serialised as RFC 8785 canonical JSON.

An event says who (actor), did what (action) to what (resource), what was decided and why, under
which policy version, in which request. It never holds message content, tokens, keys or raw
personal data: subjects, and any resource id that could identify a person, are salted hashes
(`IdentifierHasher`), and `AuditEvent.from_mapping` refuses fields it does not know, so nothing
slips in by accident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chatseal.errors import InvalidRequest, MissingExtra

HASHED_PREFIX = "hs1:"
_HASHED = re.compile(r"^hs1:[A-Za-z0-9_-]{43}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_TOKEN = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,200}$")

EVENT_TYPES = frozenset(
    {
        "access.decision",
        "auth.failure",
        "item.append",
        "item.read",
        "item.delete",
        "conversation.create",
        "conversation.delete",
        "key.generate",
        "key.unwrap",
        "key.rotate",
        "key.retire",
        "key.destroy",
        "policy.change",
        "breakglass.request",
        "breakglass.approve",
        "breakglass.reject",
        "breakglass.revoke",
        "config.change",
        "data.export",
        "data.backup",
        "data.restore",
        "retention.purge",
        "audit.rollback_acknowledged",
    }
)
CREDENTIAL_KINDS = frozenset({"token", "client_secret", "oidc", "mtls", "local", "none"})
DECISIONS = frozenset({"allow", "deny"})
# Resource fields that hold opaque, non-personal ids; `subject` must be a salted hash.
RESOURCE_FIELDS = frozenset(
    {
        "kind",
        "tenant",
        "conversation",
        "item",
        "item_count",
        "key",
        "key_version",
        "policy",
        "breakglass",
        "backup",
        "export",
        "config",
        "receipt",
        "subject",
        "position",
    }
)


class IdentifierHasher:
    """Salted (keyed) hashes of identifiers, with a per-log secret salt.

    HMAC-SHA-256 keeps equal ids linkable inside one log while an attacker holding the log but not
    the salt cannot test guesses of who someone is.
    """

    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise InvalidRequest("the audit salt needs at least 16 bytes", param="salt")
        self._salt = bytes(salt)

    def __repr__(self) -> str:
        return "IdentifierHasher(<salt>)"

    def hash(self, identifier: str) -> str:
        """Return `hs1:` + base64url(HMAC-SHA-256(salt, identifier)) without padding."""
        mac = hmac.new(self._salt, identifier.encode(), hashlib.sha256).digest()
        return HASHED_PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def is_hashed(value: str) -> bool:
    """Return whether a value has the salted-hash form."""
    return bool(_HASHED.match(value))


def _token(value: Any, param: str) -> str:
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise InvalidRequest("audit fields are short opaque tokens", param=param)
    return value


def _strict(
    mapping: Mapping[str, Any], allowed: frozenset[str], required: frozenset[str], where: str
) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise InvalidRequest(f"unknown audit field in {where}", param=sorted(unknown)[0])
    missing = required - set(mapping)
    if missing:
        raise InvalidRequest(f"missing audit field in {where}", param=sorted(missing)[0])


@dataclass(frozen=True)
class Actor:
    """Who acted: tenant, salted subject hash, roles and the kind of credential shown."""

    tenant: str
    subject: str
    roles: tuple[str, ...] = ()
    credential_kind: str = "none"

    def __post_init__(self) -> None:
        _token(self.tenant, "actor.tenant")
        if not is_hashed(self.subject):
            raise InvalidRequest("actor.subject must be a salted hash", param="actor.subject")
        for role in self.roles:
            _token(role, "actor.roles")
        # Roles are a set: keep them sorted so equal actors give equal leaves.
        object.__setattr__(self, "roles", tuple(sorted(set(self.roles))))
        if self.credential_kind not in CREDENTIAL_KINDS:
            raise InvalidRequest("unknown credential kind", param="actor.credential_kind")

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object."""
        return {
            "tenant": self.tenant,
            "subject": self.subject,
            "roles": list(self.roles),
            "credential_kind": self.credential_kind,
        }


@dataclass(frozen=True)
class Decision:
    """What was decided (allow or deny) and why (a short reason code)."""

    result: str
    reason: str

    def __post_init__(self) -> None:
        if self.result not in DECISIONS:
            raise InvalidRequest("decision must be allow or deny", param="decision.result")
        _token(self.reason, "decision.reason")


@dataclass(frozen=True)
class AuditEvent:
    """One audit leaf. Build it with keywords or `from_mapping`; serialise with `to_bytes`."""

    type: str
    time: str
    actor: Actor
    action: str
    decision: Decision
    policy_version: str
    request_id: str
    resource: Mapping[str, str | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES or not _TYPE.match(self.type):
            raise InvalidRequest("unknown audit event type", param="type")
        _token(self.action, "action")
        _token(self.policy_version, "policy_version")
        _token(self.request_id, "request_id")
        try:
            datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%S.%fZ")
        except (TypeError, ValueError):
            raise InvalidRequest(
                "time must be RFC 3339 UTC with milliseconds", param="time"
            ) from None
        _strict(self.resource, RESOURCE_FIELDS, frozenset(), "resource")
        for name, value in self.resource.items():
            if name == "subject":
                if not isinstance(value, str) or not is_hashed(value):
                    raise InvalidRequest("resource.subject must be a salted hash", param=name)
            elif isinstance(value, bool) or not isinstance(value, (str, int)):
                raise InvalidRequest("resource fields are ids or counts", param=name)
            elif isinstance(value, str):
                _token(value, f"resource.{name}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AuditEvent:
        """Build an event from plain data, refusing unknown or missing fields at every level."""
        top = frozenset(
            {
                "type",
                "time",
                "actor",
                "action",
                "resource",
                "decision",
                "policy_version",
                "request_id",
            }
        )
        _strict(data, top, top - {"resource"}, "event")
        actor = data["actor"]
        decision = data["decision"]
        if not isinstance(actor, Mapping) or not isinstance(decision, Mapping):
            raise InvalidRequest("actor and decision are objects", param="actor")
        names = frozenset({"tenant", "subject", "roles", "credential_kind"})
        _strict(actor, names, names, "actor")
        _strict(
            decision, frozenset({"result", "reason"}), frozenset({"result", "reason"}), "decision"
        )
        roles = actor["roles"]
        if not isinstance(roles, list):
            raise InvalidRequest("actor.roles is a list", param="actor.roles")
        resource = data.get("resource", {})
        if not isinstance(resource, Mapping):
            raise InvalidRequest("resource is an object", param="resource")
        return cls(
            type=data["type"],
            time=data["time"],
            actor=Actor(actor["tenant"], actor["subject"], tuple(roles), actor["credential_kind"]),
            action=data["action"],
            decision=Decision(decision["result"], decision["reason"]),
            policy_version=data["policy_version"],
            request_id=data["request_id"],
            resource=dict(resource),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the event as a JSON object."""
        return {
            "type": self.type,
            "time": self.time,
            "actor": self.actor.to_json(),
            "action": self.action,
            "resource": dict(self.resource),
            "decision": {"result": self.decision.result, "reason": self.decision.reason},
            "policy_version": self.policy_version,
            "request_id": self.request_id,
        }

    def to_bytes(self) -> bytes:
        """Return the RFC 8785 canonical JSON of the event: the leaf data."""
        try:
            import rfc8785
        except ImportError:  # pragma: no cover - depends on the installed extras
            raise MissingExtra("audit", "audit events") from None
        return bytes(rfc8785.dumps(self.to_json()))


def event_time(seconds: float) -> str:
    """Format clock seconds as RFC 3339 UTC with milliseconds, the event `time`."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_event(data: bytes) -> AuditEvent:
    """Parse leaf bytes back into an event, checking they are exactly its canonical form."""
    import json

    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("audit leaf is not JSON", param="data") from None
    if not isinstance(obj, dict):
        raise InvalidRequest("audit leaf is not a JSON object", param="data")
    event = AuditEvent.from_mapping(obj)
    if event.to_bytes() != data:
        raise InvalidRequest("audit leaf is not in canonical form", param="data")
    return event
