"""The KeyManager contract: one behaviour for every backend (local, pkcs11, transit, …).

A test module subclasses `KeyManagerContract` and provides a `harness` fixture returning a
`Harness`: how to open a manager on the backend, and how to open one whose backend is out.
Tenant ids are fresh per test, so backends shared across tests (one token, one server) are fine.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from chatseal.errors import (
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    NotFound,
)
from chatseal.keys.base import KeyManager, WrappedKey


@dataclass
class Harness:
    """How a contract run reaches one backend."""

    open: Callable[[], KeyManager]
    outage: Callable[[], KeyManager]


def require_env(name: str) -> str:
    """Return a service address the test harness exported, or fail saying how to get it."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through scripts/test.sh (make test)")
    return value


class KeyManagerContract:
    """Behaviour every KeyManager backend must show."""

    @pytest.fixture
    def km(self, harness: Harness) -> Iterator[KeyManager]:
        manager = harness.open()
        yield manager
        manager.close()

    @pytest.fixture
    def tenant(self, km: KeyManager) -> str:
        name = "ten_" + secrets.token_hex(6)
        km.create_tenant_key(name)
        return name

    def test_is_a_key_manager(self, km: KeyManager) -> None:
        """The backend satisfies the runtime-checkable Protocol."""
        assert isinstance(km, KeyManager)

    def test_create_describes_version_one(self, km: KeyManager) -> None:
        """A new tenant key has version 1, primary and active."""
        name = "new_" + secrets.token_hex(6)
        info = km.create_tenant_key(name)
        assert (info.tenant, info.primary_version, info.min_decryption_version) == (name, 1, 1)
        assert [(v.version, v.state) for v in info.versions] == [(1, "active")]
        assert info.backend == km.scheme

    def test_double_create_conflicts(self, km: KeyManager, tenant: str) -> None:
        """Creating a tenant key twice is a Conflict."""
        with pytest.raises(Conflict):
            km.create_tenant_key(tenant)

    def test_unknown_tenant_not_found(self, km: KeyManager) -> None:
        """Describing a tenant without a key is NotFound."""
        with pytest.raises(NotFound):
            km.describe("nobody_" + secrets.token_hex(6))

    def test_generate_unwrap_round_trip(self, km: KeyManager, tenant: str) -> None:
        """A generated data key unwraps to the same 32 bytes under the same context."""
        key, wrapped = km.generate_data_key(tenant, b"conv-1")
        assert len(key) == 32 and wrapped.kek_version == 1
        assert key not in wrapped.blob
        assert km.unwrap(tenant, wrapped, b"conv-1") == key

    def test_wrap_unwrap_round_trip(self, km: KeyManager, tenant: str) -> None:
        """An existing data key wraps and unwraps unchanged; wraps of it differ."""
        key = os.urandom(32)
        first, second = km.wrap(tenant, key, b"c"), km.wrap(tenant, key, b"c")
        assert first.blob != second.blob
        assert km.unwrap(tenant, first, b"c") == key == km.unwrap(tenant, second, b"c")

    def test_wrong_context_is_integrity_error(self, km: KeyManager, tenant: str) -> None:
        """A wrapped key moved to another context does not open."""
        _, wrapped = km.generate_data_key(tenant, b"conv-1")
        with pytest.raises(IntegrityError):
            km.unwrap(tenant, wrapped, b"conv-2")

    def test_tampered_blob_is_integrity_error(self, km: KeyManager, tenant: str) -> None:
        """A flipped byte in the wrapped key fails with the one opaque error."""
        _, wrapped = km.generate_data_key(tenant, b"c")
        blob = bytearray(wrapped.blob)
        blob[-3] = ord("A") if blob[-3] != ord("A") else ord("B")
        with pytest.raises(IntegrityError):
            km.unwrap(tenant, WrappedKey(wrapped.kek_version, bytes(blob)), b"c")

    def test_other_tenant_key_fails(self, km: KeyManager, tenant: str) -> None:
        """Another tenant's KEK does not open this tenant's data key."""
        other = "oth_" + secrets.token_hex(6)
        km.create_tenant_key(other)
        _, wrapped = km.generate_data_key(tenant, b"c")
        with pytest.raises((IntegrityError, KeyUnavailable)):
            km.unwrap(other, wrapped, b"c")

    def test_rotate_new_wraps_use_new_version(self, km: KeyManager, tenant: str) -> None:
        """After rotate, new wraps use v2 and v1 wraps still open."""
        old_key, old = km.generate_data_key(tenant, b"c")
        info = km.rotate(tenant)
        assert info.primary_version == 2
        new_key, new = km.generate_data_key(tenant, b"c")
        assert new.kek_version == 2 and km.wrap(tenant, new_key, b"c").kek_version == 2
        assert km.unwrap(tenant, old, b"c") == old_key
        assert km.unwrap(tenant, new, b"c") == new_key

    def test_rewrap_moves_to_primary(self, km: KeyManager, tenant: str) -> None:
        """Rewrap moves every wrapped key to the primary version, same keys, same contexts."""
        pairs = [km.generate_data_key(tenant, f"c{i}".encode()) for i in range(5)]
        km.rotate(tenant)
        km.rotate(tenant)
        moved = km.rewrap(tenant, [(w, f"c{i}".encode()) for i, (_, w) in enumerate(pairs)])
        assert [w.kek_version for w in moved] == [3] * 5
        for i, ((key, _), w) in enumerate(zip(pairs, moved, strict=True)):
            assert km.unwrap(tenant, w, f"c{i}".encode()) == key

    def test_rewrap_wrong_context_fails(self, km: KeyManager, tenant: str) -> None:
        """Rewrap refuses a wrapped key given with the wrong context."""
        _, wrapped = km.generate_data_key(tenant, b"c")
        km.rotate(tenant)
        with pytest.raises(IntegrityError):
            km.rewrap(tenant, [(wrapped, b"other")])

    def test_retire_fails_closed_naming_version(self, km: KeyManager, tenant: str) -> None:
        """Below min_decryption_version, unwrap raises KeyVersionRetired naming the version."""
        _, old = km.generate_data_key(tenant, b"c")
        km.rotate(tenant)
        key, new = km.generate_data_key(tenant, b"c")
        info = km.retire(tenant, 2)
        assert info.min_decryption_version == 2
        assert [(v.version, v.state) for v in info.versions] == [(1, "retired"), (2, "active")]
        with pytest.raises(KeyVersionRetired) as caught:
            km.unwrap(tenant, old, b"c")
        assert "v1" in str(caught.value)
        assert km.unwrap(tenant, new, b"c") == key

    def test_retire_seen_by_a_second_manager(
        self, harness: Harness, km: KeyManager, tenant: str
    ) -> None:
        """A retire made through one manager holds for another on the same backend."""
        _, old = km.generate_data_key(tenant, b"c")
        other = harness.open()
        try:
            km.rotate(tenant)
            other.retire(tenant, 2)
            with pytest.raises(KeyVersionRetired):
                km.unwrap(tenant, old, b"c")
        finally:
            other.close()

    def test_retire_above_primary_conflicts(self, km: KeyManager, tenant: str) -> None:
        """The minimum decryption version cannot pass the primary."""
        with pytest.raises(Conflict):
            km.retire(tenant, 2)

    def test_destroy_version(self, km: KeyManager, tenant: str) -> None:
        """A destroyed version is gone for good: KeyDestroyed, state 'destroyed'."""
        _, old = km.generate_data_key(tenant, b"c")
        km.rotate(tenant)
        km.destroy(tenant, 1)
        with pytest.raises(KeyDestroyed):
            km.unwrap(tenant, old, b"c")
        states = {v.version: v.state for v in km.describe(tenant).versions}
        assert states == {1: "destroyed", 2: "active"}
        key, new = km.generate_data_key(tenant, b"c")
        assert km.unwrap(tenant, new, b"c") == key

    def test_destroy_primary_refused(self, km: KeyManager, tenant: str) -> None:
        """The primary version cannot be destroyed."""
        with pytest.raises(Conflict):
            km.destroy(tenant, 1)

    def test_destroy_tenant_shreds(self, km: KeyManager, tenant: str) -> None:
        """After the tenant's key is destroyed nothing of it opens, in any version."""
        _, first = km.generate_data_key(tenant, b"c")
        km.rotate(tenant)
        _, second = km.generate_data_key(tenant, b"c")
        km.destroy(tenant)
        for wrapped in (first, second):
            with pytest.raises(KeyDestroyed):
                km.unwrap(tenant, wrapped, b"c")
        with pytest.raises((KeyDestroyed, NotFound)):
            km.describe(tenant)
        with pytest.raises((KeyDestroyed, NotFound)):
            km.generate_data_key(tenant, b"c")

    def test_state_persists_across_managers(
        self, harness: Harness, km: KeyManager, tenant: str
    ) -> None:
        """Versions, primary and minimum live in the backend, not in the manager object."""
        key, wrapped = km.generate_data_key(tenant, b"c")
        km.rotate(tenant)
        km.rotate(tenant)
        km.retire(tenant, 2)
        km.close()
        again = harness.open()
        try:
            info = again.describe(tenant)
            assert (info.primary_version, info.min_decryption_version) == (3, 2)
            key2, wrapped2 = again.generate_data_key(tenant, b"c")
            assert wrapped2.kek_version == 3 and again.unwrap(tenant, wrapped2, b"c") == key2
            with pytest.raises(KeyVersionRetired):
                again.unwrap(tenant, wrapped, b"c")
        finally:
            again.close()
        assert len(key) == 32

    def test_ping(self, km: KeyManager) -> None:
        """A reachable backend answers ping."""
        km.ping()

    def test_threads(self, km: KeyManager, tenant: str) -> None:
        """Eight threads generating and unwrapping at once all get their own keys back."""
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(20):
                    ctx = f"t{n}-{i}".encode()
                    key, wrapped = km.generate_data_key(tenant, ctx)
                    if km.unwrap(tenant, wrapped, ctx) != key:
                        raise AssertionError("a data key came back different")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    def test_outage_is_key_unavailable(self, harness: Harness, km: KeyManager, tenant: str) -> None:
        """An unreachable backend fails closed with KeyUnavailable, for ping and unwrap."""
        _, wrapped = km.generate_data_key(tenant, b"c")
        down = harness.outage()
        try:
            with pytest.raises(KeyUnavailable):
                down.ping()
            with pytest.raises(KeyUnavailable) as caught:
                down.unwrap(tenant, wrapped, b"c")
            assert not isinstance(caught.value, (KeyDestroyed, KeyVersionRetired))
        finally:
            down.close()
