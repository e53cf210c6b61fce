"""Tenant administration: create (with its own KEK), list, update, delete (crypto-shred)."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from chatseal.errors import Conflict, NotFound
from chatseal.model import CLASSIFICATIONS, Principal, Tenant
from chatseal.service.minimisation import validate_tenant_settings
from chatseal.service.sealing import index_key_context
from chatseal.store import StoreTx, TenantRow

# Tenant administration is done by the operator (CLI or admin API), not by a tenant's principal.
OPERATOR = Principal(tenant="-", subject="operator", roles=frozenset({"operator"}))

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal


class Tenants:
    """Operator operations on tenants (the CLI's `chatseal tenant …`)."""

    def __init__(self, seal: ChatSeal) -> None:
        self._seal = seal

    def _record(
        self, tx: StoreTx, name: str, kind: str, action: str, **resource: str | int
    ) -> None:
        """Queue an operator event about a tenant in `tx`."""
        audit = self._seal.audit
        if audit is None:
            return
        actor = audit.actor(dataclasses.replace(OPERATOR, tenant=name, credential_kind="local"))
        data = audit.event(
            kind,
            actor,
            action,
            True,
            "operator",
            self._seal.policy_version,
            "operator",
            {"tenant": name, **resource},
        )
        tx.enqueue_audit(data)

    def create(self, name: str, *, settings: dict[str, Any] | None = None) -> Tenant:
        """Create a tenant and its KEK (version 1) and index key."""
        seal = self._seal
        seal.validate_tenant(name)
        clean = dict(settings or {})
        validate_tenant_settings(clean)
        tier = clean.get("default_classification", "internal")
        if tier not in CLASSIFICATIONS:
            raise Conflict("unknown classification tier", param="tier")
        with seal.read() as tx:
            if tx.get_tenant(name) is not None:
                raise Conflict("a tenant with this name already exists", param="name")
        tenant_id = seal.ids.new("ten")
        seal.keys.create_tenant_key(tenant_id)
        try:
            _, wrapped = seal.keys.generate_data_key(tenant_id, index_key_context(tenant_id))
            row = TenantRow(
                tenant_id=tenant_id,
                name=name,
                created_at=seal.now(),
                settings=json.dumps(clean, sort_keys=True),
                index_key=wrapped.blob,
                index_key_version=wrapped.kek_version,
            )
            with seal.write() as tx:
                tx.insert_tenant(row)
                self._record(tx, name, "config.change", "tenant.create")
                self._record(tx, name, "key.generate", "key.generate", key="tenant", key_version=1)
        except BaseException:
            seal.keys.destroy(tenant_id)
            raise
        return seal.tenant_model(row)

    def list(self) -> list[Tenant]:
        """Return every tenant, by name."""
        with self._seal.read() as tx:
            return [self._seal.tenant_model(row) for row in tx.list_tenants()]

    def retrieve(self, name: str) -> Tenant:
        """Return one tenant."""
        with self._seal.read() as tx:
            row = tx.get_tenant(name)
        if row is None:
            raise NotFound(f"no tenant named '{name}'", param="tenant")
        return self._seal.tenant_model(row)

    def update(self, name: str, **settings: Any) -> Tenant:
        """Merge settings into a tenant's settings (None removes a setting)."""
        seal = self._seal
        with seal.write() as tx:
            row = tx.get_tenant(name)
            if row is None:
                raise NotFound(f"no tenant named '{name}'", param="tenant")
            merged = json.loads(row.settings)
            for key, value in settings.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            validate_tenant_settings(merged)
            tx.update_tenant_settings(row.tenant_id, json.dumps(merged, sort_keys=True))
            self._record(tx, name, "config.change", "tenant.update")
        seal.forget_tenant(name)
        return self.retrieve(name)

    def delete(self, name: str) -> int:
        """Destroy the tenant's KEK (crypto-shred), then its rows; return conversations removed."""
        seal = self._seal
        with seal.read() as tx:
            row = tx.get_tenant(name)
        if row is None:
            raise NotFound(f"no tenant named '{name}'", param="tenant")
        seal.forget_tenant(name)
        # Key first: if the row deletion then fails, the data is already unreadable (fail closed).
        seal.keys.destroy(row.tenant_id)
        with seal.write() as tx:
            removed = tx.delete_tenant(row.tenant_id)
            self._record(tx, name, "key.destroy", "key.destroy", key="tenant")
            self._record(tx, name, "config.change", "tenant.delete", item_count=removed)
        seal.store.compact()
        return removed
