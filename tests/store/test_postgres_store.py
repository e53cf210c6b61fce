"""PostgreSQL-specific behaviour of the store: URLs, roles, migrations, failures, many workers."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors as pg_errors

from chatseal.errors import ConfigError, Conflict, StoreUnavailable
from chatseal.store import open_store
from chatseal.store.postgres import SCHEMA_VERSION, PostgresStore, parse_postgres_url
from store import pg
from store.contract import conversation, item, run_threads, seed


@pytest.fixture
def app_store(pg_database: str) -> Iterator[PostgresStore]:
    """A store of the application role on the module's database, emptied first."""
    pg.truncate(pg_database)
    s = PostgresStore(pg.with_database(pg.require_env(pg.APP_URL), pg_database, pool_max_size="4"))
    yield s
    s.close()


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new database with no schema."""
    name = pg.create_database()
    yield name
    pg.drop_database(name)


def test_url_pool_settings_and_redaction() -> None:
    """pool_* parameters are ours, the rest goes to libpq, and the password is never shown."""
    conninfo, pool, shown = parse_postgres_url(
        "postgresql+psycopg://app:s3cret@db.example:6432/chat?pool_max_size=32&sslmode=require"
    )
    assert pool["pool_max_size"] == 32
    assert "sslmode=require" in conninfo and "pool_max_size" not in conninfo
    assert conninfo.startswith("postgresql://app:s3cret@db.example:6432/chat?")
    assert "s3cret" not in shown and shown.startswith("postgresql+psycopg://app:***@db.example")
    for bad in (
        "mysql://x/y",
        "postgresql:///nohost",
        "postgresql://h/d?pool_timeout=soon",
        "postgresql://h/d?pool_max_size=0",
    ):
        with pytest.raises(ConfigError):
            parse_postgres_url(bad)


def test_registry_opens_postgres_urls(pg_database: str) -> None:
    """postgresql:// and postgres:// URLs open a PostgresStore that answers."""
    url = pg.with_database(pg.require_env(pg.APP_URL), pg_database)
    for scheme in ("postgresql", "postgres"):
        store = open_store(scheme + url[url.index(":") :])
        try:
            assert isinstance(store, PostgresStore)
            store.ping()
            assert store.schema_version() == SCHEMA_VERSION
        finally:
            store.close()


def test_password_stays_out_of_url_and_errors(pg_database: str) -> None:
    """A wrong password gives StoreUnavailable, and neither error nor url shows the password."""
    url = pg.with_database(pg.require_env(pg.APP_URL), pg_database, pool_timeout="1")
    wrong = url.replace("chatseal_app:", "chatseal_app:not-the-password-", 1)
    store = PostgresStore(wrong)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.ping()
        assert "not-the-password" not in str(caught.value)
        assert "not-the-password" not in store.url and "not-the-password" not in repr(store)
    finally:
        store.close()


@pytest.mark.parametrize(
    "role_url",
    [
        # chatseal_app has no right to change the schema.
        pg.APP_URL,
        # A superuser would own tables that RLS never binds.
        pg.SUPERUSER_URL,
    ],
    ids=["application role", "superuser"],
)
def test_only_the_admin_role_may_migrate(empty_database: str, role_url: str) -> None:
    """Migrating as the application role or as a superuser fails with a ConfigError and leaves
    the database empty."""
    store = PostgresStore(pg.with_database(pg.require_env(role_url), empty_database))
    try:
        with pytest.raises(ConfigError):
            store.migrate()
        assert store.schema_version() == 0
    finally:
        store.close()


def test_concurrent_migrations_apply_once(empty_database: str) -> None:
    """Four processes migrating at once: the advisory lock lets one apply, the rest see it done."""
    stores = [
        PostgresStore(pg.with_database(pg.require_env(pg.ADMIN_URL), empty_database))
        for _ in range(4)
    ]
    versions: list[int] = []
    try:
        assert run_threads(4, lambda i: versions.append(stores[i].migrate())) == []
    finally:
        for s in stores:
            s.close()
    assert versions == [SCHEMA_VERSION] * 4
    url = pg.with_database(pg.require_env(pg.ADMIN_URL), empty_database)
    with psycopg.connect(url) as conn:
        applied = conn.execute(
            "SELECT version FROM chatseal.schema_version ORDER BY version"
        ).fetchall()
    assert applied == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


def test_read_transaction_is_read_only(app_store: PostgresStore) -> None:
    """A write in a read transaction is refused by the server and nothing is stored."""
    seed(app_store, "ta", "c1")
    with pytest.raises(pg_errors.ReadOnlySqlTransaction), app_store.transaction() as tx:
        tx.insert_items([item("ta", "c1", 0)])
    with app_store.transaction() as tx:
        assert tx.get_item("ta", "c1", "c1-i0") is None


def test_commit_after_a_swallowed_failure_rolls_back_loudly(app_store: PostgresStore) -> None:
    """If a caller swallows a failed statement, commit raises Conflict instead of losing writes silently."""
    seed(app_store, "ta", "c1")

    def swallow_a_failure() -> None:
        with app_store.transaction(write=True) as tx:
            tx.insert_conversation(conversation("ta", "c2"), [])
            with pytest.raises(Conflict):
                tx.insert_conversation(conversation("ta", "c1"), [])

    with pytest.raises(Conflict):
        swallow_a_failure()
    with app_store.transaction() as tx:
        assert tx.get_conversation("ta", "c2") is None


def test_lost_connection_is_unavailable_then_recovers(pg_database: str) -> None:
    """A server-side disconnect surfaces as StoreUnavailable once; the pool then reconnects."""
    url = pg.with_database(
        pg.require_env(pg.APP_URL), pg_database, pool_min_size="1", pool_max_size="1"
    )
    store = PostgresStore(url)
    try:
        store.ping()
        with psycopg.connect(pg.require_env(pg.SUPERUSER_URL), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = 'chatseal_app'",
                (pg_database,),
            )
        with pytest.raises(StoreUnavailable), store.transaction() as tx:
            tx.list_tenants()
        with store.transaction() as tx:
            assert isinstance(tx.list_tenants(), list)
    finally:
        store.close()


def test_many_workers_append_to_one_conversation(
    app_store: PostgresStore, pg_database: str
) -> None:
    """Four worker processes' pools, four threads each, on one conversation: dense, unique positions."""
    seed(app_store, "ta", "c1")
    url = pg.with_database(pg.require_env(pg.APP_URL), pg_database, pool_max_size="4")
    workers = [PostgresStore(url) for _ in range(4)]
    rounds = 10

    def work(i: int) -> None:
        store = workers[i % 4]
        for _ in range(rounds):
            with store.transaction(write=True) as tx:
                opened = tx.open_for_append("ta", "c1")
                assert opened is not None
                tx.insert_items([item("ta", "c1", opened[1])])

    try:
        assert run_threads(16, work) == []
    finally:
        for w in workers:
            w.close()
    with app_store.transaction() as tx:
        rows = tx.list_items("ta", "c1", after_position=None, limit=1000, descending=False)
    assert [r.position for r in rows] == list(range(16 * rounds))


def test_a_queued_write_that_fails_rolls_back_its_transaction(app_store: PostgresStore) -> None:
    """Item and audit inserts travel with the next statement or with COMMIT: when one fails,
    that statement or the COMMIT fails, and nothing of the transaction stays."""
    seed(app_store, "ta", "c1", items=1)

    def fail_at_commit() -> None:
        with app_store.transaction(write=True) as tx:
            tx.enqueue_audit(b"lost at commit")
            tx.insert_items([item("ta", "c1", 1)])
            tx.insert_items([item("ta", "c1", 0)])  # position 0 is taken: fails with COMMIT

    with pytest.raises(Conflict):
        fail_at_commit()

    def fail_at_next_statement() -> None:
        with app_store.transaction(write=True) as tx:
            tx.enqueue_audit(b"lost at the next statement")
            tx.insert_items([item("ta", "c1", 0)])
            with pytest.raises(Conflict):
                tx.get_conversation("ta", "c1")

    with pytest.raises(Conflict):  # and COMMIT then says the transaction failed
        fail_at_next_statement()
    with app_store.transaction() as tx:
        rows = tx.list_items("ta", "c1", after_position=None, limit=10, descending=False)
    assert [r.position for r in rows] == [0]
    conn = app_store.audit_connection()
    try:
        assert conn.execute("SELECT count(*) FROM chatseal.audit_queue").fetchone() == (0,)
    finally:
        conn.close()


def test_audit_events_commit_and_roll_back_with_the_change(
    app_store: PostgresStore, pg_database: str
) -> None:
    """An event queued in a rolled-back transaction is gone; a committed one waits in order."""
    seed(app_store, "ta", "c1")

    def fail_after_queuing() -> None:
        with app_store.transaction(write=True) as tx:
            tx.enqueue_audit(b"rolled back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_after_queuing()
    with app_store.transaction(write=True) as tx:
        tx.enqueue_audit(b"first")
        tx.enqueue_audit(b"second")
    conn = app_store.audit_connection()
    try:
        rows = conn.execute("SELECT data FROM chatseal.audit_queue ORDER BY seq").fetchall()
        assert [bytes(r[0]) for r in rows] == [b"first", b"second"]
        # The application may not rewrite integrated history.
        conn.execute("INSERT INTO chatseal.audit_leaves VALUES (0, 'x', 'h')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("UPDATE chatseal.audit_leaves SET data = 'y'")
        conn.rollback()
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute("DELETE FROM chatseal.audit_leaves")
        conn.rollback()
    finally:
        conn.close()
    with psycopg.connect(
        pg.with_database(pg.require_env(pg.ADMIN_URL), pg_database), autocommit=True
    ) as owner:
        owner.execute("TRUNCATE chatseal.audit_queue")
