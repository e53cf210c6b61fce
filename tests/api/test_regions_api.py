"""Residency over HTTP: one server serves two regions; a request of a tenant pinned to eu is
served by eu's ChatSeal, so its rows and events land in eu's store and log only."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from openai import NotFoundError

from chatseal.audit.checkpoint import open_checkpoint
from chatseal.audit.note import Verifier
from chatseal.cli.main import cli
from chatseal.errors import ChatSealError

from .conftest import Live, MakeServer

CANARY = "CANARY-region-api-91be"


def tenant_rows(db: Path, tenant_id: str) -> int:
    """Rows of one tenant in every table of a SQLite store that has a tenant_id column."""
    total, tables = 0, 0
    with closing(sqlite3.connect(db)) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if any(c[1] == "tenant_id" for c in conn.execute(f'PRAGMA table_info("{name}")')):
                tables += 1
                found = conn.execute(
                    f'SELECT count(*) FROM "{name}" WHERE tenant_id = ?', (tenant_id,)
                ).fetchone()
                total += int(found[0])
    assert tables >= 4
    return total


def logged(db: Path, needle: bytes) -> bool:
    """Whether any audit event of a store (integrated or queued) contains `needle`."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT data FROM audit_leaves UNION ALL SELECT data FROM audit_queue")
        return any(needle in bytes(data) for (data,) in rows)


@pytest.fixture
def regional(tmp_path: Path, make_server: MakeServer) -> tuple[Live, str, Path]:
    """A live server whose config declares region eu; acme is pinned to eu, globex to default.

    Returns the server, acme's tenant id and eu's database.
    """
    home, eu_db = tmp_path / "extra", tmp_path / "eu.db"
    config = (
        "[api]\nrate_limit_per_second = 10000\nrate_limit_burst = 10000\n"
        f'[regions.eu]\nstore = "sqlite:///{eu_db}"\nkeys = "local:{tmp_path / "eu-keys.json"}"\n'
        f'audit_dir = "{tmp_path / "eu-audit"}"\n'
    )
    home.mkdir(mode=0o700)
    (home / "chatseal.toml").write_text(config, "utf-8")
    runner = CliRunner()
    for args in (["init"], ["tenant", "create", "acme", "--region", "eu"]):
        result = runner.invoke(cli, [*args, "--home", str(home)], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    acme_id = result.stdout.split('"id": "', 1)[1].split('"', 1)[0]
    return make_server(config_text=config, tenants=("globex",)), acme_id, eu_db


def test_a_tenant_of_eu_is_served_by_eu(regional: tuple[Live, str, Path]) -> None:
    """acme's conversation is created and read through eu; default's store never sees acme."""
    live, acme_id, eu_db = regional
    default_db = live.home / "chatseal.db"
    alice = live.client(live.token(tenant="acme"))
    conv = alice.conversations.create(
        items=[{"type": "message", "role": "user", "content": CANARY}]
    )
    alice.conversations.items.create(
        conv.id, items=[{"type": "message", "role": "user", "content": "two"}]
    )
    assert alice.conversations.retrieve(conv.id).id == conv.id
    texts = [i.content[0].text for i in alice.conversations.items.list(conv.id, order="asc").data]  # type: ignore[index, union-attr]
    assert texts == [CANARY, "two"]

    globex = live.client(live.token(tenant="globex"))
    other = globex.conversations.create(items=[{"role": "user", "content": "hello"}])
    assert globex.conversations.retrieve(other.id).id == other.id
    with pytest.raises(NotFoundError):
        globex.conversations.retrieve(conv.id)  # another tenant's, in another region

    assert tenant_rows(eu_db, acme_id) >= 5  # tenant, conversation, its data key, two items
    assert tenant_rows(default_db, acme_id) == 0
    assert logged(eu_db, b'"acme"') and not logged(default_db, b'"acme"')
    assert logged(default_db, b'"globex"') and not logged(eu_db, b'"globex"')
    for db in (eu_db, default_db):
        assert CANARY.encode() not in db.read_bytes()


def test_unknown_tenant_and_readiness(regional: tuple[Live, str, Path]) -> None:
    """A token of a tenant no region holds answers 404 in OpenAI's shape; /readyz probes eu."""
    live, _, _ = regional
    answer = httpx.post(
        live.url + "/v1/conversations",
        json={},
        headers={"Authorization": f"Bearer {live.token(tenant='initech')}"},
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["param"] == "tenant"
    ready = httpx.get(live.url + "/readyz").json()
    assert ready["status"] == "ready"
    assert ready["checks"]["store:eu"] == "ok" and ready["checks"]["keys:eu"] == "ok"


def test_audit_reads_use_the_tenants_region_log(regional: tuple[Live, str, Path]) -> None:
    """An acme auditor reads eu's log (signed by eu's own key), a globex auditor the default's;
    the read itself is an event of the reader's region."""
    live, _, eu_db = regional
    verifiers, notes = {}, {}
    for tenant in ("acme", "globex"):
        live.client(live.token(tenant=tenant)).conversations.create()
        token = live.token(tenant=tenant, subject="auditor:ann", roles=("auditor",))
        headers = {"Authorization": f"Bearer {token}"}
        vkey = httpx.get(live.url + "/v1/audit/vkey", headers=headers)
        note = httpx.get(live.url + "/v1/audit/checkpoint", headers=headers)
        assert vkey.status_code == 200 and note.status_code == 200
        verifiers[tenant], notes[tenant] = Verifier.from_vkey(vkey.text.strip()), note.text
    assert verifiers["acme"].vkey() != verifiers["globex"].vkey()
    assert open_checkpoint(notes["acme"], verifiers["acme"]).size >= 1
    assert open_checkpoint(notes["globex"], verifiers["globex"]).size >= 1
    with pytest.raises(ChatSealError):
        open_checkpoint(notes["acme"], verifiers["globex"])
    assert logged(eu_db, b'"audit.read"')
