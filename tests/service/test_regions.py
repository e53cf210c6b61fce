"""Regions and residency on PostgreSQL: a tenant's rows live only in its region's store, and
`chatseal tenant move` copies, re-wraps, shreds the source and is in both regions' logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from chatseal.audit.events import parse_event
from chatseal.cli.main import cli
from chatseal.errors import NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.service.reconcile import reconcile
from chatseal.service.regions import RegionRouter
from service.pgseal import two_region_home
from store import pg

CANARY = "CANARY-region-5d2e"
ALICE = Principal.of("acme", "alice@example.com", "user")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A home whose default region and region `eu` are two PostgreSQL databases."""
    with two_region_home(tmp_path) as found:
        yield found


def rows_of(url: str, tenant_id: str) -> int:
    """Rows of one tenant across every tenant table, read as the superuser (no RLS)."""
    dbname = url.rsplit("/", 1)[1].split("?", maxsplit=1)[0]
    su = pg.with_database(pg.require_env(pg.SUPERUSER_URL), dbname)
    with psycopg.connect(su) as conn:
        total = 0
        for table in pg.tenant_tables(conn):
            found = conn.execute(
                f"SELECT count(*) FROM chatseal.{table} WHERE tenant_id = %s", (tenant_id,)
            ).fetchone()
            total += int(found[0]) if found else 0
        return total


def log_of(router: RegionRouter, region: str) -> list[bytes]:
    """Integrate a region's log and return its leaves."""
    audit = router.seal(region).audit
    assert audit is not None
    audit.checkpoint()
    return audit.tree.entries(0, audit.tree.size)


def invoke(*args: str) -> dict[str, object]:
    """Run the CLI and return its JSON output."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.output)
    return loaded


def test_tenant_lives_only_in_its_region_and_moves(home: tuple[Path, str, str]) -> None:
    """Created in eu: rows only in eu's store; after the move: only in default's, readable."""
    path, default_url, eu_url = home
    created = invoke("tenant", "create", "acme", "--region", "eu", "--home", str(path))
    tenant_id = str(created["id"])
    invoke("tenant", "create", "globex", "--home", str(path))
    with RegionRouter.open(path) as router:
        assert router.region_of("acme") == "eu" and router.region_of("globex") == "default"
        session = router.seal_for("acme").session(ALICE)
        conv = session.conversations.create(items=[{"role": "user", "content": CANARY}])
        session.conversations.items.create(conv.id, items=[{"role": "user", "content": "two"}])
        assert rows_of(eu_url, tenant_id) > 0
        assert rows_of(default_url, tenant_id) == 0  # never written to the other region
        assert not any(b'"acme"' in leaf for leaf in log_of(router, "default"))
        with pytest.raises(PermissionDenied):
            router.move_tenant("globex", "eu")  # default's policy allows no move
    moved = invoke("tenant", "move", "acme", "--to", "default", "--yes", "--home", str(path))
    assert moved["conversations"] == 1 and moved["items"] == 2
    assert rows_of(eu_url, tenant_id) == 0
    assert rows_of(default_url, tenant_id) > 0
    with RegionRouter.open(path) as router:
        assert router.region_of("acme") == "default"
        items = (
            router.seal_for("acme").session(ALICE).conversations.items.list(conv.id, order="asc")
        )
        assert [i["content"][0]["text"] for i in items.data] == [CANARY, "two"]
        with pytest.raises(NotFound):
            router.seal("eu").tenant_keys("acme")
        eu_log, default_log = log_of(router, "eu"), log_of(router, "default")
        for leaves, kind in ((eu_log, "data.export"), (default_log, "data.restore")):
            moves = [e for e in map(parse_event, leaves) if e.action == "tenant.move"]
            assert any(e.type == kind and e.resource["tenant"] == "acme" for e in moves)
        assert any(parse_event(x).action == "key.destroy" for x in eu_log)
        for region, leaves in (("eu", eu_log), ("default", default_log)):
            seal = router.seal(region)
            assert seal.audit is not None and seal.audit.verify().ok
            assert reconcile(seal.store, leaves).ok, reconcile(seal.store, leaves).problems
        assert all(CANARY.encode() not in leaf for leaf in eu_log + default_log)
