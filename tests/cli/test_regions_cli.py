"""Residency through the CLI: with two regions (two SQLite stores), every tenant-scoped command
works on the store, keys and audit log of the tenant's region, and never writes to the other."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chatseal.audit.events import parse_event
from chatseal.cli.main import cli

CANARY = "CANARY-region-cli-3f1a"


@dataclass
class Regional:
    """A home whose default region and region `eu` are two SQLite databases."""

    home: Path
    default_db: Path
    eu_db: Path
    run: Callable[..., tuple[int, str, str]]

    def ok(self, *args: str) -> Any:
        """Run a command that must succeed and print JSON; return the JSON."""
        code, out, err = self.run(*args)
        assert code == 0, err
        return json.loads(out)


def write_regions(home: Path, tmp_path: Path, *, default_moves: str = '["eu"]') -> Path:
    """Write a chatseal.toml declaring region eu (its own SQLite store, keyring and audit dir)."""
    eu_db = tmp_path / "eu.db"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / "chatseal.toml").write_text(
        f'[regions.eu]\nstore = "sqlite:///{eu_db}"\n'
        f'keys = "local:{tmp_path / "keyring-eu.json"}"\n'
        f'audit_dir = "{tmp_path / "eu-audit"}"\nallow_moves_to = ["default"]\n'
        f"[regions.default]\nallow_moves_to = {default_moves}\n",
        encoding="utf-8",
    )
    return eu_db


@pytest.fixture
def regional(tmp_path: Path) -> Regional:
    """An initialised two-region home (the default store in the home, eu's beside it)."""
    home = tmp_path / "home"
    eu_db = write_regions(home, tmp_path)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, out, err = run("init")
    assert code == 0, err
    assert "region eu: store schema v" in out  # init migrated eu's store as well
    return Regional(home, home / "chatseal.db", eu_db, run)


def tenant_rows(db: Path, tenant_id: str) -> dict[str, int]:
    """Rows of one tenant in every table of a SQLite store that has a tenant_id column."""
    with closing(sqlite3.connect(db)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {}
        for name in names:
            columns = {c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')}
            if "tenant_id" in columns:
                found = conn.execute(
                    f'SELECT count(*) FROM "{name}" WHERE tenant_id = ?', (tenant_id,)
                ).fetchone()
                counts[name] = int(found[0])
    assert {"tenants", "conversations", "items", "data_keys"} <= counts.keys()
    return counts


def logged_tenants(db: Path) -> list[str]:
    """The tenant of every audit event in a store's log (integrated or still queued)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT data FROM audit_leaves UNION ALL SELECT data FROM audit_queue"
        ).fetchall()
    tenants = []
    for (data,) in rows:
        event = parse_event(bytes(data))
        tenants.append(str(event.resource.get("tenant") or event.actor.tenant))
    return tenants


def test_init_and_migrate_cover_every_region(regional: Regional) -> None:
    """A second init has nothing to do; migrate reports the default store and eu's."""
    code, out, _ = regional.run("init")
    assert code == 0 and "already initialised" in out
    code, out, _ = regional.run("migrate")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("schema is at v") and lines[1].startswith(
        "region eu: schema is at v"
    )
    assert lines[0].split()[-1] == lines[1].split()[-1]


def test_data_commands_stay_in_the_tenants_region(regional: Regional) -> None:
    """acme (eu): conversations and items in eu's store and log only; globex stays in default."""
    run, ok = regional.run, regional.ok
    acme = ok("tenant", "create", "acme", "--region", "eu")
    globex = ok("tenant", "create", "globex")
    acme_id, globex_id = str(acme["id"]), str(globex["id"])

    conv = ok("conversations", "create", "--tenant", "acme", "--message", "hi")
    conv_id = str(conv["id"])
    added = ok("items", "add", conv_id, "--tenant", "acme", "--message", CANARY)
    item_id = str(added["data"][0]["id"])
    listed = ok("items", "list", conv_id, "--tenant", "acme", "--order", "asc")
    assert [i["content"][0]["text"] for i in listed["data"]] == ["hi", CANARY]
    assert ok("conversations", "show", conv_id, "--tenant", "acme")["id"] == conv_id
    updated = ok("conversations", "update", conv_id, "--tenant", "acme", "--metadata", "k=v")
    assert updated["metadata"] == {"k": "v"}
    shown = ok("items", "show", item_id, "--conversation", conv_id, "--tenant", "acme")
    assert shown["id"] == item_id
    # Another tenant's conversation is not visible, whichever region asks.
    code, _, err = run("conversations", "show", conv_id, "--tenant", "globex")
    assert code == 1 and err.count("\n") == 1
    # A tenant of the default region still works, in the default store.
    other = ok("conversations", "create", "--tenant", "globex", "--message", "hello")
    assert ok("items", "list", str(other["id"]), "--tenant", "globex")["data"]

    eu, default = tenant_rows(regional.eu_db, acme_id), tenant_rows(regional.default_db, acme_id)
    assert eu["tenants"] == 1 and eu["conversations"] == 1 and eu["items"] == 2
    assert sum(default.values()) == 0, default  # never written to the other region's store
    assert sum(tenant_rows(regional.eu_db, globex_id).values()) == 0
    assert tenant_rows(regional.default_db, globex_id)["conversations"] == 1

    eu_log, default_log = logged_tenants(regional.eu_db), logged_tenants(regional.default_db)
    assert eu_log.count("acme") >= 4 and "globex" not in eu_log
    assert "acme" not in default_log and "globex" in default_log
    for path in (regional.eu_db, regional.default_db):
        assert CANARY.encode() not in path.read_bytes()  # sealed, in either store

    tenants = json.loads(run("tenant", "list")[1])
    assert {(t["name"], t["region"]) for t in tenants} == {("acme", "eu"), ("globex", "default")}
    assert ok("tenant", "show", "acme")["id"] == acme_id
    code, out, _ = run("token", "issue", "--tenant", "acme", "--subject", "u:a", "--role", "user")
    assert code == 0 and out.count(".") == 2  # a JWT for a tenant only eu's store holds


def test_other_tenant_commands_are_routed(regional: Regional) -> None:
    """Holds, erasure, receipts and policy of an eu tenant are in eu's store; retention runs in
    every region."""
    run, ok = regional.run, regional.ok
    acme_id = str(ok("tenant", "create", "acme", "--region", "eu")["id"])
    ok("tenant", "update", "acme", "--retention-days", "30")
    assert ok("tenant", "show", "acme")["settings"]["retention_days"] == 30
    hold = ok("retention", "hold", "add", "--tenant", "acme", "--reason", "case-1", "--owner", "o")
    holds = json.loads(run("retention", "hold", "list", "--tenant", "acme")[1])
    assert [h["id"] for h in holds] == [hold["id"]]
    ok("retention", "hold", "release", str(hold["id"]), "--tenant", "acme")
    ok("conversations", "create", "--tenant", "acme", "--subject", "user:zoe", "--message", "x")
    receipt = ok("erase", "--tenant", "acme", "--subject", "user:zoe", "--yes")
    assert receipt
    assert json.loads(run("retention", "receipts", "--tenant", "acme")[1])
    code, out, _ = run("policy", "show", "--tenant", "acme")
    assert code == 0 and "permit" in out
    ran = ok("retention", "run")
    assert set(ran["regions"]) == {"default", "eu"}

    eu, default = tenant_rows(regional.eu_db, acme_id), tenant_rows(regional.default_db, acme_id)
    assert eu["legal_holds"] == 1 and eu["deletion_receipts"] >= 1
    assert sum(default.values()) == 0, default
    assert "acme" not in logged_tenants(regional.default_db)


def test_move_sends_later_commands_to_the_new_region(regional: Regional) -> None:
    """After `tenant move acme --to default`, reads and writes go to the default store."""
    ok = regional.ok
    acme_id = str(ok("tenant", "create", "acme", "--region", "eu")["id"])
    conv_id = str(ok("conversations", "create", "--tenant", "acme", "--message", "before")["id"])
    moved = ok("tenant", "move", "acme", "--to", "default", "--yes")
    assert moved["conversations"] == 1
    ok("items", "add", conv_id, "--tenant", "acme", "--message", "after")
    second = ok("conversations", "create", "--tenant", "acme", "--message", "new")
    listed = ok("items", "list", conv_id, "--tenant", "acme", "--order", "asc")
    assert [i["content"][0]["text"] for i in listed["data"]] == ["before", "after"]
    assert sum(tenant_rows(regional.eu_db, acme_id).values()) == 0
    default = tenant_rows(regional.default_db, acme_id)
    assert default["conversations"] == 2 and default["items"] == 3
    assert ok("conversations", "show", str(second["id"]), "--tenant", "acme")["id"] == second["id"]


def test_tenant_delete_and_unknown_tenants(regional: Regional) -> None:
    """Deleting an eu tenant empties eu's store of it; unknown tenants and regions fail cleanly."""
    run, ok = regional.run, regional.ok
    acme_id = str(ok("tenant", "create", "acme", "--region", "eu")["id"])
    ok("conversations", "create", "--tenant", "acme", "--message", "hi")
    code, _, err = run("tenant", "create", "acme")
    assert code == 1 and "already exists" in err  # names are unique across regions
    deleted = ok("tenant", "delete", "acme", "--yes")
    assert deleted["conversations_removed"] == 1
    assert sum(tenant_rows(regional.eu_db, acme_id).values()) == 0
    code, _, err = run("conversations", "create", "--tenant", "acme", "--message", "x")
    assert code == 1 and err == "chatseal: error: tenant 'acme' not found (tenant)\n"
    code, _, err = run("tenant", "create", "initech", "--region", "mars")
    assert code == 1 and "no region named 'mars'" in err and err.count("\n") == 1


def test_single_region_home_is_unchanged(tmp_path: Path) -> None:
    """Without [regions.*] the commands use the home's store; --region names only `default`."""
    home = str(tmp_path / "home")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, [*args, "--home", home], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    assert "region" not in run("migrate")[1]
    assert run("tenant", "create", "acme")[0] == 0
    code, _, err = run("tenant", "create", "globex", "--region", "eu")
    assert code == 1 and "no region named 'eu'" in err
    assert "region" not in json.loads(run("tenant", "list")[1])[0]
    code, out, _ = run("conversations", "create", "--tenant", "acme", "--message", "hi")
    assert code == 0 and json.loads(out)["object"] == "conversation"


def test_key_and_audit_commands_use_the_region(regional: Regional) -> None:
    """`keys rotate --tenant` rotates the KEK in the tenant's region's key backend; `audit
    --region` reads and signs that region's own log, under its own key."""
    run, ok = regional.run, regional.ok
    ok("tenant", "create", "acme", "--region", "eu")
    ok("conversations", "create", "--tenant", "acme", "--message", "hi")
    rotated = ok("keys", "rotate", "--tenant", "acme")
    assert rotated["primary_version"] == 2, rotated
    status = ok("keys", "status", "--tenant", "acme", "--json")
    assert status[0]["primary_version"] == 2, status
    rewrapped = ok("keys", "rewrap", "--tenant", "acme", "--quiet")
    assert rewrapped["rewrapped"] >= 1, rewrapped

    code, eu_key, err = run("audit", "vkey", "--region", "eu")
    assert code == 0, err
    code, default_key, err = run("audit", "vkey")
    assert code == 0, err
    assert eu_key.strip() != default_key.strip()
    code, out, err = run("audit", "verify", "--region", "eu", "--json")
    assert code == 0, err
    assert json.loads(out)["tree_size"] >= 3  # tenant, conversation and key events of acme
    code, _, err = run("audit", "verify", "--region", "mars")
    assert code == 1 and "no region named 'mars'" in err
