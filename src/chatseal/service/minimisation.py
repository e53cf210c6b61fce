"""Data minimisation at write time: each tier's policy, redaction before sealing, the token vault
and re-identification as a policy action.

Policy, from weakest to strongest say (later wins):
  built-in tier defaults < config `[tiers.<tier>]` < tenant settings `redaction`,
  `retention_days`, `exportable` < tenant settings `tiers.<tier>.*`.

Items are redacted after they are normalised and before they are sealed, on message text and on
tool-call arguments and outputs (`chatseal.redaction.items`). What was found is recorded inside
the sealed item as `item["chatseal"]["redacted"] = {entity_type: count}`, never the values.
Pseudonymised originals go to the token vault sealed under the conversation's content data key,
so crypto-shredding the conversation destroys them with it.

Tenant secrets are derived from the tenant's index key with HKDF (RFC 5869), one label each, so
no new key is stored and KEK rotation (which rewraps the index key) leaves tokens stable.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chatseal.crypto import DataKey, RecordAddress
from chatseal.errors import ChatSealError, ConfigError, InvalidRequest, MissingExtra
from chatseal.model import CLASSIFICATIONS, Principal
from chatseal.service.sealing import CONTENT, open_json, seal_json
from chatseal.store.minimisation import VaultRow

if TYPE_CHECKING:
    from chatseal.redaction import Redactor
    from chatseal.service.chatseal import ChatSeal, TenantKeys
    from chatseal.store import StoreTx

MODES: tuple[str, ...] = ("off", "redact", "mask", "pseudonymize")
# Shipped tier defaults; config `[tiers.<tier>]` overrides them key by key.
TIER_DEFAULTS: dict[str, dict[str, Any]] = {
    "public": {"retention_days": 730, "redaction": "off", "exportable": True},
    "internal": {"retention_days": 365, "redaction": "off", "exportable": True},
    "confidential": {"retention_days": 180, "redaction": "pseudonymize", "exportable": False},
    "restricted": {"retention_days": 90, "redaction": "redact", "exportable": False},
}
POLICY_KEYS = frozenset({"retention_days", "redaction", "exportable"})
MAX_NAMES = 10_000
_TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_[0-9a-f]{6,64}>")
_CACHE_LIMIT = 1024


@dataclass(frozen=True)
class TierPolicy:
    """What one tier means for one tenant. `retention_days` 0 keeps conversations forever."""

    tier: str
    retention_days: int
    redaction: str
    exportable: bool

    @property
    def retention_seconds(self) -> int | None:
        """Retention in seconds, or None when conversations never expire."""
        return self.retention_days * 86_400 if self.retention_days > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape."""
        return {
            "tier": self.tier,
            "retention_days": self.retention_days,
            "redaction": self.redaction,
            "exportable": self.exportable,
        }


def _check_policy(
    values: Mapping[str, Any], where: str, error: type[ChatSealError] = ConfigError
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in POLICY_KEYS:
            continue
        if key == "redaction" and value not in MODES:
            raise error(f"{where}: redaction must be one of " + ", ".join(MODES))
        if key == "retention_days" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise error(f"{where}: retention_days must be a whole number ≥ 0")
        if key == "exportable" and not isinstance(value, bool):
            raise error(f"{where}: exportable must be true or false")
        clean[key] = value
    return clean


def validate_tenant_settings(settings: Mapping[str, Any]) -> None:
    """Refuse minimisation settings a tenant cannot have (unknown modes, tiers or types)."""
    bad = InvalidRequest
    _check_policy(settings, "tenant settings", bad)
    tiers = settings.get("tiers", {})
    if not isinstance(tiers, dict) or set(tiers) - set(CLASSIFICATIONS):
        raise bad("tenant settings: tiers must map tier names to policies", param="settings")
    for tier, values in tiers.items():
        if not isinstance(values, dict):
            raise bad(f"tenant settings: tiers.{tier} must be an object", param="settings")
        _check_policy(values, f"tenant settings tiers.{tier}", bad)
    names = settings.get("redaction_names", [])
    if not isinstance(names, list) or len(names) > MAX_NAMES:
        raise bad("tenant settings: redaction_names must be a list of names", param="settings")
    if not all(isinstance(n, str) and 0 < len(n) <= 100 for n in names):
        raise bad("tenant settings: each redaction name is 1-100 characters", param="settings")


def derive_secret(index_key: bytes, tenant_id: str, label: str) -> bytes:
    """A 32-byte tenant secret for one purpose: HKDF-SHA256 (RFC 5869 §2) of the index key."""
    info = b"chatseal." + label.encode("ascii") + b"\x00" + tenant_id.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(index_key)


@dataclass
class Prepared:
    """Items ready to seal and the vault rows to write in the same transaction."""

    items: list[dict[str, Any]]
    vault: list[VaultRow] = field(default_factory=list, repr=False)

    def store(self, tx: StoreTx) -> None:
        """Write the vault rows (nothing when the tier does not pseudonymise)."""
        if self.vault:
            tx.insert_vault_entries(self.vault)


class Minimisation:
    """Per-tenant, per-tier policy and the redactors that apply it (one cache per ChatSeal)."""

    def __init__(self, seal: ChatSeal) -> None:
        self._seal = seal
        self._redactors: dict[tuple[str, str, str], Redactor] = {}
        self._modes: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._tiers = self._config_tiers()

    def _config_tiers(self) -> dict[str, dict[str, Any]]:
        tiers = {tier: dict(values) for tier, values in TIER_DEFAULTS.items()}
        config = self._seal.config
        configured = config.section("tiers") if config is not None else {}
        for tier, values in configured.items():
            if tier not in tiers or not isinstance(values, dict):
                raise ConfigError(f"[tiers.{tier}] is not a classification tier table")
            tiers[tier].update(_check_policy(values, f"[tiers.{tier}]"))
        return tiers

    # -- policy --------------------------------------------------------------------------

    def policy(self, settings: Mapping[str, Any] | str, tier: str) -> TierPolicy:
        """Resolve one tier's policy for a tenant's settings (a dict or its JSON text)."""
        if isinstance(settings, str):
            settings = json.loads(settings)
            assert isinstance(settings, dict)
        if tier not in self._tiers:
            raise InvalidRequest("unknown classification tier", param="classification")
        merged = dict(self._tiers[tier])
        merged.update({k: v for k, v in settings.items() if k in POLICY_KEYS})
        per_tier = settings.get("tiers", {})
        if isinstance(per_tier, dict) and isinstance(per_tier.get(tier), dict):
            merged.update({k: v for k, v in per_tier[tier].items() if k in POLICY_KEYS})
        return TierPolicy(
            tier,
            int(merged["retention_days"]),
            str(merged["redaction"]),
            bool(merged["exportable"]),
        )

    def _mode(self, settings: str, tier: str) -> str:
        """The redaction mode for a tenant's settings text and a tier, cached (the append path)."""
        found = self._modes.get((settings, tier))
        if found is None:
            found = self.policy(settings, tier).redaction
            with self._lock:
                if len(self._modes) >= _CACHE_LIMIT:
                    self._modes.clear()
                self._modes[(settings, tier)] = found
        return found

    def tenant_policies(self, name: str) -> list[TierPolicy]:
        """Every tier's policy for a tenant, for `chatseal tenant show` and the docs."""
        row = self._seal.tenant_keys(name).row
        return [self.policy(row.settings, tier) for tier in CLASSIFICATIONS]

    def redactor(self, tenant: TenantKeys, mode: str) -> Redactor:
        """The tenant's redactor for a mode, built once and cached with the tenant's settings."""
        row = tenant.row
        cache_key = (row.tenant_id, row.settings, mode)
        found = self._redactors.get(cache_key)
        if found is not None:
            return found
        try:
            from chatseal.redaction import Redactor
        except ImportError:
            raise MissingExtra("redaction", "PII redaction") from None
        names = json.loads(row.settings).get("redaction_names", [])
        secret = (
            derive_secret(tenant.index_key, row.tenant_id, "pseudonym.v1")
            if mode == "pseudonymize"
            else None
        )
        built = Redactor(mode, names=names, secret=secret)
        with self._lock:
            if len(self._redactors) >= _CACHE_LIMIT:
                self._redactors.clear()
            self._redactors[cache_key] = built
        return built

    # -- write path ----------------------------------------------------------------------

    def prepare(
        self,
        tenant: TenantKeys,
        tier: str,
        conversation_id: str,
        items: Sequence[dict[str, Any]],
        content_key: tuple[DataKey, int],
    ) -> Prepared:
        """Redact normalised items for the conversation's tier; seal pseudonym originals."""
        for item in items:
            item.pop("chatseal", None)  # our namespace: a client may not forge a summary
        mode = self._mode(tenant.row.settings, tier)
        if mode == "off" or not items:
            return Prepared(list(items))
        redactor = self.redactor(tenant, mode)
        out: list[dict[str, Any]] = []
        tokens: dict[str, str] = {}
        for item in items:
            redacted = redactor.redact_item(item)
            if redacted.summary:
                redacted.item["chatseal"] = {"redacted": dict(sorted(redacted.summary.items()))}
            out.append(redacted.item)
            tokens.update(redacted.tokens)
        vault = self._seal_tokens(tenant, conversation_id, tokens, content_key)
        return Prepared(out, vault)

    def _seal_tokens(
        self,
        tenant: TenantKeys,
        conversation_id: str,
        tokens: Mapping[str, str],
        content_key: tuple[DataKey, int],
    ) -> list[VaultRow]:
        if not tokens:
            return []
        tenant_id = tenant.row.tenant_id
        tag_key = derive_secret(tenant.index_key, tenant_id, "vault-tag.v1")
        key, version = content_key
        now = self._seal.now()
        rows = []
        for token, original in sorted(tokens.items()):
            tag = token_tag(tag_key, token)
            address = RecordAddress(tenant_id, conversation_id, tag.hex(), 0, "vault")
            sealed = seal_json(key, version, address, {"token": token, "value": original})
            rows.append(VaultRow(tenant_id, conversation_id, tag, sealed, now))
        return rows

    # -- re-identification ---------------------------------------------------------------

    def reidentify(
        self, principal: Principal, conversation_id: str, tokens: Iterable[str]
    ) -> dict[str, str]:
        """Return token -> original for tokens of a conversation, if policy allows `reidentify`.

        Unknown tokens are left out. A denied principal gets PermissionDenied (or NotFound if it
        may not know the conversation exists); nothing is returned.
        """
        wanted = [t for t in dict.fromkeys(tokens) if _TOKEN.fullmatch(t)]
        session = self._seal.session(principal)
        tenant = session.tenant()
        tenant_id = tenant.row.tenant_id
        tag_key = derive_secret(tenant.index_key, tenant_id, "vault-tag.v1")
        tags = {token_tag(tag_key, t): t for t in wanted}
        # Allowed or denied, the attempt is audited (a denial in its own transaction).
        with (
            session.guard("reidentify", conversation=conversation_id),
            self._seal.audited_read() as tx,
        ):
            _, key_rows = session.load(tx, tenant, conversation_id, "reidentify")
            rows = tx.get_vault_entries(tenant_id, conversation_id, list(tags))
            key, _ = session.keys(key_rows, tx).by_namespace[CONTENT]
            session.record(
                tx,
                "access.decision",
                "reidentify",
                conversation=conversation_id,
                item_count=len(rows),
            )
        found: dict[str, str] = {}
        for row in rows:
            address = RecordAddress(tenant_id, conversation_id, row.token_tag.hex(), 0, "vault")
            entry = open_json(key, address, row.sealed)
            if entry.get("token") == tags.get(row.token_tag):
                found[entry["token"]] = entry["value"]
        return found

    def reidentify_text(self, principal: Principal, conversation_id: str, text: str) -> str:
        """Replace every known pseudonym token in `text` by its original (policy permitting)."""
        originals = self.reidentify(principal, conversation_id, _TOKEN.findall(text))
        return _TOKEN.sub(lambda m: originals.get(m.group(0), m.group(0)), text)


def token_tag(tag_key: bytes, token: str) -> bytes:
    """The vault's lookup key for a token: a keyed hash, so tokens are not listed at rest."""
    return hmac.new(tag_key, token.encode("utf-8"), sha256).digest()
