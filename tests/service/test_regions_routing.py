"""Routing by region: the router over a ChatSeal it was handed, region migrations, and the CLI's
data commands on two PostgreSQL regions (rows only in the tenant's region's database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chatseal.cli.main import cli
from chatseal.config import Config
from chatseal.errors import NotFound
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.regions import (
    RegionRouter,
    has_regions,
    initialise_regions,
    migrate_regions,
)
from chatseal.store.sqlite import SCHEMA_VERSION
from service.pgseal import two_region_home
from service.test_regions import rows_of

ALICE = Principal.of("acme", "alice@example.com", "user")


def write_eu(home: Path, tmp_path: Path, store_url: str, extra: str = "") -> None:
    """Declare region eu in the home's chatseal.toml."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / "chatseal.toml").write_text(
        extra + f'[regions.eu]\nstore = "{store_url}"\nkeys = "local:{tmp_path / "eu.json"}"\n'
        f'audit_dir = "{tmp_path / "eu"}"\n',
        encoding="utf-8",
    )


def test_migrations_and_a_handed_default_seal(tmp_path: Path) -> None:
    """eu's store is migrated once; the router routes over the handed seal and never closes it."""
    home = tmp_path / "home"
    write_eu(home, tmp_path, f"sqlite:///{tmp_path / 'eu.db'}")
    config = Config.load(home)
    assert has_regions(config) and not has_regions(Config.load(tmp_path / "plain"))
    assert initialise_regions(config) == [f"region eu: store schema v{SCHEMA_VERSION}"]
    assert migrate_regions(config) == [("eu", SCHEMA_VERSION, SCHEMA_VERSION)]
    assert initialise_regions(config) == []
    with ChatSeal.open(home, create=True) as seal:
        with RegionRouter(config, default=seal) as router:
            assert set(router.opened()) == {"default"}
            router.create_tenant("acme", "eu")
            seal.tenants.create("globex")
            assert router.seal_for("globex") is seal
            eu = router.seal_for("acme")
            assert eu is not seal and set(router.opened()) == {"default", "eu"}
            conv = eu.session(ALICE).conversations.create(items=[{"role": "user", "content": "x"}])
            with pytest.raises(NotFound):
                router.seal_for("initech")
        # The router closed eu's ChatSeal only: the handed one still works.
        assert [t.name for t in seal.tenants.list()] == ["globex"]
        with pytest.raises(NotFound):
            seal.session(ALICE).conversations.retrieve(conv.id)  # acme is not in this store


@pytest.fixture
def pg_home(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A home whose default region and region eu are two PostgreSQL databases."""
    with two_region_home(tmp_path) as found:
        yield found


def test_cli_data_commands_on_postgresql_regions(pg_home: tuple[Path, str, str]) -> None:
    """On PostgreSQL, the CLI's conversations and items of an eu tenant are in eu's database."""
    home, default_url, eu_url = pg_home

    def ok(*args: str) -> Any:
        result = CliRunner().invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    tenant_id = str(ok("tenant", "create", "acme", "--region", "eu")["id"])
    conv_id = str(ok("conversations", "create", "--tenant", "acme", "--message", "hi")["id"])
    ok("items", "add", conv_id, "--tenant", "acme", "--message", "two")
    listed = ok("items", "list", conv_id, "--tenant", "acme", "--order", "asc")
    assert [i["content"][0]["text"] for i in listed["data"]] == ["hi", "two"]
    assert rows_of(eu_url, tenant_id) >= 5
    assert rows_of(default_url, tenant_id) == 0
