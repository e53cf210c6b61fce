"""`ChatSeal`: the one orchestrator. It wires a store, a key backend, the data-key cache and the
decision point, all handed in by its constructor; no global state (DESIGN.md)."""

from __future__ import annotations

import json
import os
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatseal.clock import Clock, IdGenerator, SystemClock
from chatseal.config import Config
from chatseal.crypto import DataKey
from chatseal.errors import (
    ConfigError,
    KeyDestroyed,
    MissingExtra,
    NotFound,
    NotInitialised,
    StoreUnavailable,
)
from chatseal.keys import (
    CacheLimits,
    DataKeyCache,
    KeyContext,
    KeyManager,
    WrappedKey,
    open_key_manager,
)
from chatseal.model import Principal, Tenant, validate_tenant_name
from chatseal.service.access import Authorizer, RolePolicy
from chatseal.service.audit_trail import AuditTrail
from chatseal.service.sealing import index_key_context, owner_tag
from chatseal.store import Store, StoreTx, TenantRow, open_store
from chatseal.store.sqlite import SCHEMA_VERSION

_OWNER_TAGS_PER_TENANT = 4096


@dataclass(frozen=True)
class TenantKeys:
    """A tenant's row and its unwrapped index key, as one cached unit."""

    row: TenantRow
    index_key: bytes
    # Owner tags of this tenant's subjects: an HMAC on every request's path, computed once per
    # subject while these keys are cached (dropped with them when the tenant is forgotten).
    _owner_tags: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def owner_tag(self, subject: str) -> bytes:
        """The keyed hash that stands for `subject` as an owner in this tenant."""
        found = self._owner_tags.get(subject)
        if found is None:
            found = owner_tag(self.index_key, subject)
            if len(self._owner_tags) >= _OWNER_TAGS_PER_TENANT:
                self._owner_tags.clear()
            self._owner_tags[subject] = found
        return found

    @property
    def default_classification(self) -> str:
        """The tier a new conversation of this tenant gets when none is given."""
        return str(json.loads(self.row.settings).get("default_classification", "internal"))


class ChatSeal:
    """The sealed chat store. Use `session(principal)` for data, `tenants` for administration."""

    def __init__(
        self,
        *,
        store: Store,
        keys: KeyManager,
        config: Config | None = None,
        authorizer: Authorizer | None = None,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        cache_limits: CacheLimits | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.config = config
        self.clock = clock or SystemClock()
        self.ids = ids or IdGenerator()
        self.authorizer: Authorizer = authorizer or RolePolicy()
        self.cache = DataKeyCache(keys, cache_limits, self.clock)
        self.audit = audit
        self._tenants: dict[str, TenantKeys] = {}
        self._tenants_lock = threading.Lock()
        from chatseal.service.tenants import Tenants

        self.tenants = Tenants(self)
        from chatseal.service.keyops import KeyOps

        self.key_ops = KeyOps(self)
        # Data minimisation (issue 7): tier policy and redaction, retention, erasure.
        from chatseal.service.erasure import Erasure
        from chatseal.service.minimisation import Minimisation
        from chatseal.service.retention import Retention

        self.minimisation = Minimisation(self)
        self.retention = Retention(self)
        self.erasure = Erasure(self)
        # Access policy (issue 5): stored versions and break-glass grants, loaded into the engine.
        from chatseal.service.policy_admin import PolicyService

        self.policy_admin = PolicyService(self)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: str | os.PathLike[str] | None = None,
        *,
        store_url: str | None = None,
        keys_url: str | None = None,
        clock: Clock | None = None,
        authorizer: Authorizer | None = None,
        create: bool = False,
        check_audit: bool = True,
    ) -> ChatSeal:
        """Open the ChatSeal of a home; with `create=True`, initialise it first if needed.

        Refuses (AuditUnavailable) when the audit log disagrees with the newest external
        checkpoint, unless `check_audit=False` (for `chatseal audit verify | acknowledge`).
        """
        config = Config.load(home, {"store": {"url": store_url}, "keys": {"url": keys_url}})
        if create:
            initialise_home(config)
        elif not config.home.exists():
            raise NotInitialised(f"no ChatSeal home at {config.home}: run 'chatseal init'")
        return cls.assemble(
            config,
            store_url=config.store_url,
            keys_url=config.keys_url,
            audit_dir=config.home,
            audit_settings=config.section("audit"),
            label=str(config.home),
            clock=clock,
            authorizer=authorizer,
            check_audit=check_audit,
        )

    @classmethod
    def assemble(
        cls,
        config: Config,
        *,
        store_url: str,
        keys_url: str,
        audit_dir: Path,
        audit_settings: dict[str, Any],
        label: str,
        clock: Clock | None = None,
        authorizer: Authorizer | None = None,
        check_audit: bool = True,
    ) -> ChatSeal:
        """Open a store at the current schema, its key backend and its audit log, and build the
        ChatSeal over them (`open` for a home, `regions.open_region` for each region)."""
        store = open_store(store_url)
        try:
            version = store.schema_version()
            if version == 0:
                raise NotInitialised(f"the store of {label} is empty: run 'chatseal init'")
            if version != SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"the store of {label} is at schema v{version}, this ChatSeal expects "
                    f"v{SCHEMA_VERSION}: run 'chatseal migrate'"
                )
            keys_cfg = config.section("keys")
            effective_clock = clock or SystemClock()
            keys = open_key_manager(keys_url, KeyContext(config.home, effective_clock))
        except BaseException:
            store.close()
            raise
        limits = CacheLimits(
            max_entries=int(keys_cfg["cache_max_entries"]),
            ttl_seconds=float(keys_cfg["cache_ttl_seconds"]),
            max_uses=int(keys_cfg["cache_max_uses"]),
        )
        audit = None
        if audit_settings.get("enabled", True):
            try:
                audit = AuditTrail(store, audit_dir, effective_clock, audit_settings)
                if check_audit:
                    audit.check_start()
            except BaseException:
                store.close()
                keys.close()
                raise
        return cls(
            store=store,
            keys=keys,
            config=config,
            clock=effective_clock,
            authorizer=authorizer or default_authorizer(config, effective_clock),
            cache_limits=limits,
            audit=audit,
        )

    def close(self) -> None:
        """Integrate pending audit events, close the store and the key backend, forget keys."""
        try:
            if self.audit is not None:
                self.audit.stop()
        finally:
            self.cache.flush()
            with self._tenants_lock:
                self._tenants.clear()
            self.store.close()
            self.keys.close()

    def __enter__(self) -> ChatSeal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def session(self, principal: Principal, request_id: str | None = None) -> Session:
        """Act as a principal: `cs.session(p).conversations.create(...)`, like the OpenAI SDK."""
        return Session(self, principal, request_id)

    @property
    def policy_version(self) -> str:
        """The hash of the policy version in force (for audit events)."""
        return str(getattr(self.authorizer, "version", "builtin-roles-v1"))

    # -- tenants and keys, for the resources ------------------------------------------------

    def tenant_keys(self, name: str, tx: StoreTx | None = None) -> TenantKeys:
        """Return a tenant's row and index key; NotFound if there is no such tenant.

        Looks the tenant up in `tx` when one is open (a connection holds one transaction).
        """
        cached = self._tenants.get(name)
        if cached is not None:
            return cached
        if tx is not None:
            row = tx.get_tenant(name)
        else:
            with self.store.transaction() as own:
                row = own.get_tenant(name)
        if row is None:
            raise NotFound(f"tenant '{name}' not found", param="tenant")
        wrapped = WrappedKey(row.index_key_version, row.index_key)
        try:
            index_key = self.keys.unwrap(row.tenant_id, wrapped, index_key_context(row.tenant_id))
        except (NotFound, KeyDestroyed):
            raise NotFound(f"tenant '{name}' not found", param="tenant") from None
        entry = TenantKeys(row, index_key)
        with self._tenants_lock:
            self._tenants[name] = entry
        return entry

    def forget_tenant(self, name: str) -> None:
        """Drop a tenant from the in-process caches."""
        with self._tenants_lock:
            entry = self._tenants.pop(name, None)
        if entry is not None:
            self.cache.flush_tenant(entry.row.tenant_id)

    def data_key(self, tenant_id: str, wrapped: WrappedKey, context: bytes) -> DataKey:
        """Return an unwrapped data key through the cache."""
        return self.cache.data_key(tenant_id, wrapped, context)

    def write(self) -> AbstractContextManager[StoreTx]:
        """A write transaction on the store."""
        return self.store.transaction(write=True)

    def read(self) -> AbstractContextManager[StoreTx]:
        """A read transaction on the store."""
        return self.store.transaction()

    def audited_read(self) -> AbstractContextManager[StoreTx]:
        """A read that writes its audit event: one write transaction when the log is on."""
        return self.store.transaction(write=self.audit is not None)

    def now(self) -> int:
        """Unix seconds from the injected clock."""
        return int(self.clock.now())

    def tenant_model(self, row: TenantRow) -> Tenant:
        """Return the public view of a tenant row."""
        return Tenant(row.tenant_id, row.name, row.created_at, json.loads(row.settings))

    def validate_tenant(self, name: str) -> str:
        """Check a tenant name's shape."""
        return validate_tenant_name(name)


def default_authorizer(config: Config, clock: Clock) -> Authorizer:
    """The configured decision point: Cedar (`[policy] engine = "cedar"`, the default) or the
    built-in role rules (`"builtin"`, for embedded use without the policy extra)."""
    engine = str(config.section("policy").get("engine", "cedar"))
    if engine == "builtin":
        return RolePolicy()
    if engine != "cedar":
        raise ConfigError("[policy] engine must be 'cedar' or 'builtin'")
    try:
        from chatseal.policy import PolicyEngine
        from chatseal.service.cedar import CedarAuthorizer
    except ImportError:
        raise MissingExtra("policy", "the Cedar policy engine") from None
    return CedarAuthorizer(PolicyEngine(clock=clock))


def initialise_home(config: Config) -> list[str]:
    """Create the home (0700), a development root key (0600) and the schema; idempotent.

    Returns what was done, for the CLI to print.
    """
    from chatseal.files import write_secret_file
    from chatseal.keys.local import parse_root_key

    done: list[str] = []
    home = config.home
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        done.append(f"created {home}")
    root_file = home / "root.key"
    uses_local = config.keys_url.split(":", 1)[0] == "local"
    has_env_root = bool(
        os.environ.get("CHATSEAL_ROOT_KEY") or os.environ.get("CHATSEAL_ROOT_PASSPHRASE")
    )
    if uses_local and not has_env_root and not root_file.exists():
        import base64

        write_secret_file(root_file, base64.b64encode(os.urandom(32)) + b"\n")
        parse_root_key(root_file.read_text("ascii"))
        done.append(
            f"created a development root key in {root_file} (0600); production should keep keys "
            "in a KMS or HSM (see docs/keys.md)"
        )
    store = open_store(config.store_url)
    try:
        before = store.schema_version()
        after = store.migrate()
        if after != before:
            done.append(f"store schema v{after} at {config.store_url.split('?')[0]}")
    finally:
        store.close()
    return done


from chatseal.service.session import Session  # noqa: E402  (Session needs ChatSeal's name)

__all__ = ["ChatSeal", "Session", "TenantKeys", "initialise_home"]
