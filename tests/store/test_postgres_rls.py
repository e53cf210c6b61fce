"""Row-level security on PostgreSQL: the second wall between tenants, checked with raw SQL."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from chatseal.store.minimisation import DeletionRow, HoldRow, ReceiptRow, VaultRow
from chatseal.store.policy import BreakGlassRow, PolicyVersionRow
from chatseal.store.postgres import PostgresStore
from store import pg
from store.contract import client, seed

EXPECTED_A = {
    "conversations": 1,
    "data_keys": 2,
    "deletion_receipts": 1,
    "deletions": 1,
    "items": 3,
    "breakglass_requests": 1,
    "legal_holds": 1,
    "oauth_clients": 1,
    "policy_versions": 1,
    "pseudonym_vault": 1,
    "tenants": 1,
}
TENANT_TABLES = tuple(sorted(EXPECTED_A))


@pytest.fixture(scope="module")
def populated(pg_database: str) -> str:
    """The module's database holding tenants ta (3 items) and tb (2 items), written by the app."""
    store = PostgresStore(pg.with_database(pg.require_env(pg.APP_URL), pg_database))
    try:
        seed(store, "ta", "c1", items=3)
        seed(store, "tb", "c1", items=2)
        with store.transaction(write=True) as tx:
            for t in ("ta", "tb"):
                tx.insert_client(client(t, f"client-{t[1]}"))
                tx.insert_vault_entries([VaultRow(t, "c1", b"tag", b"sealed", 1)])
                tx.insert_hold(HoldRow(t, "h1", None, b"sealed reason", 1))
                tx.insert_deletions([DeletionRow(t, "hash", "expiry", 1, 2, "r1")])
                tx.insert_receipt(ReceiptRow(t, "r1", "expiry", 2, "signed note"))
                tx.put_policy_version(
                    PolicyVersionRow(
                        t, "v1", "sam", 1.0, "h", None, "text", "active", "[]", 1.0, ""
                    )
                )
                tx.put_breakglass(
                    BreakGlassRow(
                        t,
                        "bg1",
                        t,
                        "sue",
                        b"sealed",
                        "[]",
                        "[]",
                        1.0,
                        1.0,
                        "pending",
                        "[]",
                        None,
                        None,
                        None,
                    )
                )
    finally:
        store.close()
    return pg_database


def connect(role_env: str, dbname: str) -> psycopg.Connection[Any]:
    """A raw autocommit connection to the test database as the role behind `role_env`."""
    return psycopg.connect(pg.with_database(pg.require_env(role_env), dbname), autocommit=True)


def as_tenant(conn: psycopg.Connection[Any], tenant_id: str, statement: str) -> int:
    """Run one statement in a transaction of `tenant_id`; return its row count."""
    with conn.transaction():
        conn.execute("SELECT set_config('chatseal.tenant', %s, true)", (tenant_id,))
        return conn.execute(statement.encode()).rowcount


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Rows visible per tenant table on this connection."""
    found = {}
    for table in TENANT_TABLES:
        row = conn.execute(f"SELECT count(*) FROM chatseal.{table}").fetchone()
        assert row is not None
        found[table] = int(row[0])
    return found


def test_every_tenant_table_is_covered(populated: str) -> None:
    """Each table with a tenant_id has forced RLS and the tenant policy; this file checks them all."""
    with connect(pg.ADMIN_URL, populated) as conn:
        assert tuple(pg.tenant_tables(conn)) == TENANT_TABLES
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid "
            "AND p.polname = 'tenant_isolation') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'chatseal' AND c.relname = ANY(%s) ORDER BY c.relname",
            (list(TENANT_TABLES),),
        ).fetchall()
    assert rows == [(t, True, True, 1) for t in TENANT_TABLES]


def test_app_role_without_setting_sees_nothing(populated: str) -> None:
    """A query without chatseal.tenant returns no row of any tenant table."""
    with connect(pg.APP_URL, populated) as conn:
        assert counts(conn) == dict.fromkeys(TENANT_TABLES, 0)


def test_app_role_sees_only_the_tenant_it_set(populated: str) -> None:
    """With tenant ta's setting, only ta's rows are visible, even without a WHERE clause."""
    with connect(pg.APP_URL, populated) as conn, conn.transaction():
        conn.execute("SELECT set_config('chatseal.tenant', 'ta', true)")
        assert counts(conn) == EXPECTED_A
        for table in TENANT_TABLES:
            owners = conn.execute(f"SELECT DISTINCT tenant_id FROM chatseal.{table}").fetchall()
            assert owners == [("ta",)]


def test_setting_ends_with_the_transaction(populated: str) -> None:
    """The tenant set in one transaction is gone in the next on the same connection."""
    with connect(pg.APP_URL, populated) as conn:
        with conn.transaction():
            conn.execute("SELECT set_config('chatseal.tenant', 'tb', true)")
            assert counts(conn)["items"] == 2
        # The setting now reads '' rather than NULL: the policy must still match nothing.
        assert conn.execute("SELECT current_setting('chatseal.tenant', true)").fetchone() == ("",)
        assert counts(conn) == dict.fromkeys(TENANT_TABLES, 0)


def test_owner_is_subject_to_the_policies(populated: str) -> None:
    """FORCE ROW LEVEL SECURITY: the owner role too sees no tenant data without the setting."""
    with connect(pg.ADMIN_URL, populated) as conn:
        seen = counts(conn)
    # The owner alone reads the directory (the SECURITY DEFINER lookups run as the owner).
    directory = {"tenants": 2, "oauth_clients": 2}
    assert seen == {t: directory.get(t, 0) for t in TENANT_TABLES}


def test_app_role_cannot_write_into_another_tenant(populated: str) -> None:
    """WITH CHECK refuses rows of another tenant, and moving a row to another tenant."""
    with connect(pg.APP_URL, populated) as conn:
        with pytest.raises(pg_errors.InsufficientPrivilege):
            as_tenant(
                conn,
                "ta",
                "INSERT INTO chatseal.items VALUES ('tb', 'c1', 99, 'x', 'message', NULL, 1, 'x')",
            )
        with pytest.raises(pg_errors.InsufficientPrivilege):
            as_tenant(conn, "ta", "UPDATE chatseal.items SET tenant_id = 'tb' WHERE position = 0")
        assert (
            as_tenant(conn, "ta", "UPDATE chatseal.items SET sealed = 'x' WHERE tenant_id = 'tb'")
            == 0
        )
        assert (
            as_tenant(conn, "ta", "DELETE FROM chatseal.conversations WHERE tenant_id = 'tb'") == 0
        )
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("INSERT INTO chatseal.tenants VALUES ('tz', 'zed', 1, '{}', 'k', 1)")


def test_app_role_cannot_bypass_row_level_security(populated: str) -> None:
    """chatseal_app is no superuser, has no BYPASSRLS, owns nothing and may not switch RLS off."""
    with connect(pg.APP_URL, populated) as conn:
        attrs = conn.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert attrs == (False, False, False)
        owned = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'chatseal' AND pg_has_role(current_user, c.relowner, 'USAGE')"
        ).fetchone()
        assert owned == (0,)
        forced = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'chatseal' AND c.relrowsecurity AND c.relforcerowsecurity"
        ).fetchone()
        assert forced == (len(TENANT_TABLES),)
        refused = [
            "ALTER TABLE chatseal.items DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE chatseal.items NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON chatseal.items",
            "TRUNCATE chatseal.items",  # TRUNCATE is not subject to row-level security
            "CREATE TABLE chatseal.sneaky (x int)",
            "SET ROLE chatseal_owner",
        ]
        for statement in refused:
            with pytest.raises(pg_errors.InsufficientPrivilege):
                conn.execute(statement.encode())
        # row_security = off makes a query that RLS would filter fail instead of bypassing it.
        conn.execute("SET row_security = off")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM chatseal.items")


def test_directory_functions_are_the_only_cross_tenant_reads(populated: str) -> None:
    """Without a tenant, the app finds a tenant by name and a client by id, and nothing more."""
    with connect(pg.APP_URL, populated) as conn:
        found = conn.execute("SELECT tenant_id FROM chatseal.tenant_by_name('name-tb')").fetchall()
        assert found == [("tb",)]
        assert conn.execute(
            "SELECT tenant_id FROM chatseal.client_by_id('client-a')"
        ).fetchall() == [("ta",)]
        assert conn.execute("SELECT count(*) FROM chatseal.tenant_directory()").fetchone() == (2,)
        assert conn.execute(
            "SELECT count(*) FROM chatseal.tenants WHERE name = 'name-tb'"
        ).fetchone() == (0,)
        config = conn.execute(
            "SELECT p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'chatseal' AND p.proname = 'tenant_by_name'"
        ).fetchone()
        # SECURITY DEFINER with a pinned search_path, so no caller-created object is resolved.
        assert config == (True, ["search_path=pg_catalog, pg_temp"])


def test_store_transactions_leave_no_tenant_on_pooled_connections(populated: str) -> None:
    """After a store transaction, its pooled connection carries no tenant into the next one."""
    url = pg.with_database(
        pg.require_env(pg.APP_URL), populated, pool_min_size="1", pool_max_size="1"
    )
    store = PostgresStore(url)
    try:
        with store.transaction() as tx:
            assert (
                len(tx.list_items("ta", "c1", after_position=None, limit=10, descending=False)) == 3
            )
        # Same (only) connection: a raw query through the pool sees nothing.
        with store._pool.connection() as conn:
            assert counts(conn) == dict.fromkeys(TENANT_TABLES, 0)
    finally:
        store.close()
