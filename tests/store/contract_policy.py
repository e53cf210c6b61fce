"""The schema v4 part of the Store contract: policy versions and break-glass requests."""

from __future__ import annotations

import dataclasses
import json

import pytest

from chatseal.errors import Conflict
from chatseal.store.base import Store
from chatseal.store.policy import BreakGlassRow, PolicyVersionRow


def _version(tenant_id: str, version_id: str, status: str = "pending") -> PolicyVersionRow:
    return PolicyVersionRow(
        tenant_id, version_id, "sam", 1.5, "h" * 64, None, "permit(...);", status, "[]", None, ""
    )


def _request(tenant_id: str, request_id: str, status: str = "pending") -> BreakGlassRow:
    return BreakGlassRow(
        tenant_id,
        request_id,
        "other",
        "sue",
        b"\x00sealed\xff",
        '["conversation.read"]',
        "[]",
        3600.0,
        2.25,
        status,
        "[]",
        None,
        None,
        None,
    )


def _tenants(store: Store, *ids: str) -> None:
    from store.contract import tenant

    with store.transaction(write=True) as tx:
        for tenant_id in ids:
            tx.insert_tenant(tenant(tenant_id))


class PolicyContract:
    """Schema v4 behaviour every Store backend must show."""

    def test_policy_versions_round_trip_in_order(self, store: Store) -> None:
        """Versions keep every field, list in the order first stored, and update in place."""
        _tenants(store, "ta", "tb")
        with store.transaction(write=True) as tx:
            for vid in ("v-z", "v-a", "v-m"):
                tx.put_policy_version(_version("ta", vid))
            tx.put_policy_version(_version("tb", "v-other"))
        with store.transaction(write=True) as tx:
            updated = PolicyVersionRow(
                "ta", "v-a", "ignored", 9.0, "x", "v-z", "ignored", "active", '["ann"]', 3.5, "n"
            )
            tx.put_policy_version(updated)
        with store.transaction() as tx:
            assert [r.version_id for r in tx.list_policy_versions("ta")] == ["v-z", "v-a", "v-m"]
            got = tx.get_policy_version("ta", "v-a")
            assert got is not None
            # Only the mutable fields change: status, approvals, activation time, note.
            assert (got.status, json.loads(got.approvals), got.activated_at, got.note) == (
                "active",
                ["ann"],
                3.5,
                "n",
            )
            assert (got.author, got.created_at, got.text, got.parent) == (
                "sam",
                1.5,
                "permit(...);",
                None,
            )
            assert tx.get_active_policy_version("ta") == got
            assert tx.get_active_policy_version("tb") is None
            assert tx.get_policy_version("tb", "v-a") is None
            assert [r.version_id for r in tx.list_policy_versions("tb")] == ["v-other"]

    def test_one_active_policy_version_per_tenant(self, store: Store) -> None:
        """A second active version of a tenant is a Conflict; the transaction stays usable."""
        _tenants(store, "ta")
        with store.transaction(write=True) as tx:
            tx.put_policy_version(_version("ta", "v1", "active"))
            with pytest.raises(Conflict):
                tx.put_policy_version(_version("ta", "v2", "active"))
            tx.put_policy_version(_version("ta", "v3"))
        with store.transaction() as tx:
            assert [r.version_id for r in tx.list_policy_versions("ta")] == ["v1", "v3"]

    def test_breakglass_round_trip_and_status_filter(self, store: Store) -> None:
        """Requests keep their sealed reason bytes, update status fields, filter by status."""
        _tenants(store, "ta", "tb")
        with store.transaction(write=True) as tx:
            tx.put_breakglass(_request("ta", "bg-2"))
            tx.put_breakglass(_request("ta", "bg-1"))
            tx.put_breakglass(_request("tb", "bg-3"))
        active = dataclasses.replace(
            _request("ta", "bg-1"),
            status="active",
            approvals='["a","b"]',
            approved_at=10.0,
            expires_at=3610.0,
        )
        with store.transaction(write=True) as tx:
            tx.put_breakglass(active)
        with store.transaction() as tx:
            assert [r.request_id for r in tx.list_breakglass("ta")] == ["bg-2", "bg-1"]
            assert tx.list_breakglass("ta", "active") == [active]
            assert tx.get_breakglass("ta", "bg-1") == active
            assert tx.get_breakglass("ta", "bg-3") is None
            assert [r.request_id for r in tx.list_breakglass("tb", "pending")] == ["bg-3"]

    def test_delete_tenant_removes_policy_rows(self, store: Store) -> None:
        """Deleting a tenant deletes its policy versions and break-glass requests."""
        _tenants(store, "ta", "tb")
        with store.transaction(write=True) as tx:
            tx.put_policy_version(_version("ta", "v1"))
            tx.put_breakglass(_request("ta", "bg-1"))
            tx.put_policy_version(_version("tb", "v1"))
        with store.transaction(write=True) as tx:
            tx.delete_tenant("ta")
        with store.transaction() as tx:
            assert tx.list_policy_versions("ta") == []
            assert tx.list_breakglass("ta") == []
            assert len(tx.list_policy_versions("tb")) == 1
