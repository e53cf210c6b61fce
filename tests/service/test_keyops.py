"""The key lifecycle (issue 6): rotate, resumable rewrap, retire/destroy failing closed, shred
epochs against a real copy of the database, reencrypt, separation of duties, status, and the
docs/keys.md compromise runbook, on `local:` and (where cheap) SoftHSM2 and OpenBao."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chatseal.cli.main import cli
from chatseal.clock import FixedClock
from chatseal.errors import (
    Conflict,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    NotFound,
    PermissionDenied,
)
from chatseal.keys import KeyManager, WrappedKey
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.access import ANY_TENANT
from chatseal.service.keyops import RewrapProgress, parse_data_key_context, parse_period
from chatseal.service.sealing import data_key_context
from chatseal.store.sqlite import SqliteStore
from keys.contract import require_env

ROOT = Path(__file__).resolve().parents[2]
CANARY = "canary-7f3a secret words"
ADMIN = Principal.of("acme", "kim", "key-admin")
READER = Principal.of("acme", "owner", "agent", purpose="operations")


# -- helpers ---------------------------------------------------------------------------------


def populate(seal: ChatSeal, count: int, principal: Principal = READER) -> list[str]:
    """Create conversations with a user message and a system prompt (two data keys each)."""
    session = seal.session(principal)
    ids = []
    for i in range(count):
        items = [
            {"type": "message", "role": "system", "content": f"{CANARY} prompt {i}"},
            {"type": "message", "role": "user", "content": f"{CANARY} {i}"},
        ]
        ids.append(session.conversations.create(items=items, metadata={"n": str(i)}).id)
    return ids


def read_all(seal: ChatSeal, ids: list[str], principal: Principal = READER) -> dict[str, Any]:
    """Every conversation's metadata and all its items, as a reader sees them."""
    session = seal.session(principal)
    found = {}
    for cid in ids:
        items: list[dict[str, Any]] = []
        after = None
        while True:
            page = session.conversations.items.list(cid, order="asc", limit=100, after=after)
            items += page.data
            if not page.has_more:
                break
            after = items[-1]["id"]
        found[cid] = (session.conversations.retrieve(cid).metadata, items)
    return found


def counts(seal: ChatSeal, tenant: str = "acme") -> dict[int, int]:
    """Data keys per KEK version, straight from the store."""
    with seal.read() as tx:
        row = tx.get_tenant(tenant)
        assert row is not None
        return tx.count_data_keys(row.tenant_id)


def tenant_id(seal: ChatSeal, tenant: str = "acme") -> str:
    """A tenant's id."""
    with seal.read() as tx:
        row = tx.get_tenant(tenant)
    assert row is not None
    return row.tenant_id


class Interrupted(Exception):
    """Injected into a rewrap through its progress callback."""


def interrupt_after(batches: int) -> Callable[[RewrapProgress], None]:
    """A progress callback that kills the job after `batches` stored batches."""
    seen = [0]

    def callback(progress: RewrapProgress) -> None:
        if progress.batch:
            seen[0] += 1
            if seen[0] >= batches:
                raise Interrupted

    return callback


# -- backends: local always; SoftHSM2 and OpenBao from scripts/test.sh -------------------------


def _backend(name: str, home: Path, clock: FixedClock) -> KeyManager:
    if name == "pkcs11":
        from chatseal.keys.pkcs11 import Pkcs11Config, Pkcs11KeyManager

        module = require_env("CHATSEAL_TEST_PKCS11_MODULE")
        require_env("SOFTHSM2_CONF")
        require_env("CHATSEAL_PKCS11_PIN")
        token = require_env("CHATSEAL_TEST_PKCS11_TOKEN")
        url = f"pkcs11://{module}?token={token}&pin-env=CHATSEAL_PKCS11_PIN"
        return Pkcs11KeyManager(Pkcs11Config.from_url(url), clock)
    if name == "transit":
        from chatseal.keys._transit_auth import TransitConfig
        from chatseal.keys.transit import TransitKeyManager

        addr = require_env("CHATSEAL_TEST_BAO_ADDR").removeprefix("http://")
        require_env("CHATSEAL_TEST_BAO_TOKEN")
        url = f"transit://{addr}?tls=off&token-env=CHATSEAL_TEST_BAO_TOKEN"
        return TransitKeyManager(TransitConfig.from_url(url))
    from chatseal.keys.local import LocalKeyManager, RootKeySource

    key = "q" * 43 + "="  # base64 of 32 bytes, fixed so a second ChatSeal shares the keyring
    return LocalKeyManager(home / "keyring.json", RootKeySource(key_b64=key), clock)


def open_seal(db: Path, keys: KeyManager, clock: FixedClock) -> ChatSeal:
    """A ChatSeal over a SQLite file and a given backend."""
    store = SqliteStore(f"sqlite:///{db}")
    store.migrate()
    return ChatSeal(store=store, keys=keys, clock=clock)


@pytest.fixture(params=["local", "pkcs11", "transit"])
def any_seal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChatSeal]:
    """A ChatSeal with tenant acme on each backend."""
    clock = FixedClock(1_800_000_000.0)
    keys = _backend(request.param, tmp_path, clock)
    cs = open_seal(tmp_path / "chatseal.db", keys, clock)
    cs.tenants.create("acme")
    yield cs
    try:
        cs.keys.destroy(tenant_id(cs))
    finally:
        cs.close()


# -- rotate, rewrap, retire, destroy ------------------------------------------------------------


def test_rotate_then_rewrap_moves_every_key(any_seal: ChatSeal) -> None:
    """After rotate + rewrap every data key and the index key sit on v2; everything reads."""
    ids = populate(any_seal, 6)
    before = read_all(any_seal, ids)
    ops = any_seal.key_ops
    assert ops.rotate(ADMIN, "acme").primary_version == 2
    seen: list[RewrapProgress] = []
    result = ops.rewrap(ADMIN, "acme", batch_size=5, progress=seen.append)
    assert result["rewrapped"] == 12 and result["pending"] == 0
    assert seen[0].total == 12 and seen[-1].done == 12
    assert counts(any_seal) == {2: 12}
    any_seal.cache.flush()
    any_seal.forget_tenant("acme")
    assert read_all(any_seal, ids) == before
    assert CANARY not in json.dumps(result)


def test_retire_refuses_then_fails_closed_naming_the_version(any_seal: ChatSeal) -> None:
    """Retire is refused while keys sit below it; forced, old keys fail closed with the version."""
    ids = populate(any_seal, 4)
    ops = any_seal.key_ops
    ops.rotate(ADMIN, "acme")
    read_all(any_seal, ids)  # warm the cache: the retire must flush it
    with pytest.raises(Conflict):
        ops.retire(ADMIN, "acme", 2)
    with pytest.raises(Interrupted):
        ops.rewrap(ADMIN, "acme", batch_size=2, progress=interrupt_after(1))
    left = {cid for cid in ids if _versions(any_seal, cid) == {1}}
    assert left and len(left) < len(ids)
    ops.retire(ADMIN, "acme", 2, force=True)
    session = any_seal.session(READER)
    for cid in ids:
        if cid in left:
            with pytest.raises(KeyVersionRetired) as caught:
                session.conversations.items.list(cid)
            assert "v1" in str(caught.value) and CANARY not in str(caught.value)
        else:
            assert session.conversations.retrieve(cid).metadata["n"]


def _versions(seal: ChatSeal, cid: str) -> set[int]:
    tid = tenant_id(seal)
    with seal.read() as tx:
        return {r.kek_version for r in tx.data_keys(tid, cid)}


def test_destroy_refuses_until_rewrapped(any_seal: ChatSeal) -> None:
    """Destroy waits for the rewrap; after it the old version is gone and everything reads."""
    ids = populate(any_seal, 3)
    ops = any_seal.key_ops
    ops.rotate(ADMIN, "acme")
    with pytest.raises(Conflict) as caught:
        ops.destroy(ADMIN, "acme", 1)
    assert "rewrap" in caught.value.message
    ops.rewrap(ADMIN, "acme")
    info = ops.destroy(ADMIN, "acme", 1)
    assert [v.state for v in info.versions] == ["destroyed", "active"]
    assert len(read_all(any_seal, ids)) == 3


def test_forced_destroy_fails_closed(seal: ChatSeal) -> None:
    """A forced destroy makes the keys still under it unreadable at once (cache flushed)."""
    ids = populate(seal, 4)
    ops = seal.key_ops
    ops.rotate(ADMIN, "acme")
    read_all(seal, ids)
    with pytest.raises(Interrupted):
        ops.rewrap(ADMIN, "acme", batch_size=2, progress=interrupt_after(1))
    ops.destroy(ADMIN, "acme", 1, force=True)
    stranded = [cid for cid in ids if _versions(seal, cid) == {1}]
    assert stranded
    with pytest.raises(KeyDestroyed) as caught:
        seal.session(READER).conversations.items.list(stranded[0])
    assert "v1" in str(caught.value)


# -- the rewrap job: killed and resumed ---------------------------------------------------------


def test_rewrap_resumes_after_injected_failures(seal: ChatSeal) -> None:
    """Interrupted at random batches, again and again, the rewrap resumes and loses nothing."""
    rng = random.Random(6)
    ids = populate(seal, 40)
    before = read_all(seal, ids)
    ops = seal.key_ops
    ops.rotate(ADMIN, "acme")
    interruptions = 0
    for _ in range(5):
        try:
            ops.rewrap(ADMIN, "acme", batch_size=3, progress=interrupt_after(rng.randint(1, 4)))
        except Interrupted:
            interruptions += 1
    ops.rewrap(ADMIN, "acme", batch_size=3)
    assert interruptions == 5
    assert counts(seal) == {2: 80}
    seal.cache.flush()
    assert read_all(seal, ids) == before


def _cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    env["CHATSEAL_HOME"] = str(home)
    return env


def test_rewrap_survives_kill_9(home: Path, clock: FixedClock) -> None:
    """`chatseal keys rewrap` killed with SIGKILL mid-job, several times, resumes and finishes."""
    cs = ChatSeal.open(home, create=True, clock=clock)
    cs.tenants.create("acme")
    ids = populate(cs, 400)
    before = read_all(cs, ids)
    cs.key_ops.rotate(ADMIN, "acme")
    cs.close()
    rng = random.Random(9)
    command = [sys.executable, "-m", "chatseal.cli", "keys", "rewrap", "--tenant", "acme"]
    mid_job_kills = 0
    for _ in range(4):
        proc = subprocess.Popen(
            [*command, "--batch-size", "3", "--quiet"],
            env=_cli_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = ChatSeal.open(home, clock=clock)
        base = counts(probe).get(2, 0)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if counts(probe).get(2, 0) > base:  # the job is under way: kill it soon after
                time.sleep(rng.uniform(0, 0.03))
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = counts(probe)
        mid_job_kills += bool(now.get(1) and now.get(2))
        probe.close()
    assert mid_job_kills >= 2
    done = subprocess.run(command, env=_cli_env(home), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    cs = ChatSeal.open(home, clock=clock)
    try:
        assert counts(cs) == {2: 800}
        assert read_all(cs, ids) == before
    finally:
        cs.close()


def test_rotate_and_rewrap_under_live_traffic(seal: ChatSeal) -> None:
    """Appends and reads in threads during rotate + rewrap: no failed request, all readable."""
    ids = populate(seal, 30)
    stop = threading.Event()
    failures: list[BaseException] = []
    appended = [0]

    def appender(offset: int) -> None:
        session = seal.session(READER)
        n = 0
        while not stop.is_set():
            try:
                cid = ids[(offset + n) % len(ids)]
                item = {"type": "message", "role": "assistant", "content": f"{CANARY} {n}"}
                session.conversations.items.create(cid, items=[item])
                appended[0] += 1
            except BaseException as exc:
                failures.append(exc)
            n += 1

    def reader(offset: int) -> None:
        session = seal.session(READER)
        n = 0
        while not stop.is_set():
            try:
                session.conversations.items.list(ids[(offset + n) % len(ids)], limit=100)
            except BaseException as exc:
                failures.append(exc)
            n += 1

    threads = [
        threading.Thread(target=f, args=(i * 7,)) for f in (appender, reader) for i in (0, 1)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(3):
            seal.key_ops.rotate(ADMIN, "acme")
            time.sleep(0.05)
            seal.key_ops.rewrap(ADMIN, "acme", batch_size=4)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert appended[0] > 0
    assert counts(seal) == {4: 60}
    seal.cache.flush()
    listed = read_all(seal, ids)
    assert sum(len(items) for _, items in listed.values()) == 60 + appended[0]


# -- shred epochs ------------------------------------------------------------------------------


def _copy_database(db: Path, to: Path) -> Path:
    """Copy the SQLite files as a thief or an old backup would: database, WAL and shared memory."""
    to.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(db) + suffix)
        if source.exists():
            shutil.copyfile(source, to / (db.name + suffix))
    return to / db.name


def test_shred_epoch_against_a_copy_of_the_database(any_seal: ChatSeal, tmp_path: Path) -> None:
    """After a shred, a copy taken before a delete cannot open the deleted conversation."""
    gone, kept = populate(any_seal, 2)
    before = read_all(any_seal, [kept])
    db = Path(str(any_seal.store.url).removeprefix("sqlite:///"))
    copy = _copy_database(db, tmp_path / "copy")
    tid = tenant_id(any_seal)
    with SqliteStore(f"sqlite:///{copy}").transaction() as tx:
        manifest = [
            (WrappedKey(r.kek_version, r.wrapped), data_key_context(tid, cid, r.namespace))
            for cid in (gone, kept)
            for r in tx.data_keys(tid, cid)
        ]
    # Before the shred the copy is a full second store: the deleted conversation would come back.
    old = ChatSeal(store=SqliteStore(f"sqlite:///{copy}"), keys=any_seal.keys, clock=any_seal.clock)
    assert read_all(old, [gone])[gone][0] == {"n": "0"}
    any_seal.session(READER).conversations.delete(gone)
    rewrapped: list[list[tuple[WrappedKey, bytes]]] = []
    result = any_seal.key_ops.shred(
        ADMIN, "acme", hooks=[lambda rewrap: rewrapped.append(rewrap(manifest))]
    )
    assert result["epoch_version"] == 2 and result["destroyed_versions"] == [1]
    # The copy, opened by a second ChatSeal on the same keys, opens nothing.
    old.cache.flush()
    old.forget_tenant("acme")
    with pytest.raises((NotFound, KeyUnavailable)):
        old.session(READER).conversations.items.list(gone)
    with pytest.raises(KeyUnavailable):  # retired and destroyed: the KEK material is gone
        any_seal.keys.unwrap(tid, manifest[0][0], manifest[0][1])
    assert any_seal.keys.describe(tid).versions[0].state == "destroyed"
    # The live store still reads the kept conversation.
    any_seal.cache.flush()
    any_seal.forget_tenant("acme")
    assert read_all(any_seal, [kept]) == before
    with pytest.raises(NotFound):
        any_seal.session(READER).conversations.retrieve(gone)
    # The backup hook got the survivors only, rewrapped to the epoch version.
    (entries,) = rewrapped
    assert {parse_data_key_context(ctx)[1] for _, ctx in entries} == {kept}
    assert all(w.kek_version == 2 for w, _ in entries)
    live = {w.blob for w, ctx in manifest if parse_data_key_context(ctx)[1] == kept}
    assert live and all(w.blob not in live for w, _ in entries)
    for wrapped, context in entries:
        assert len(any_seal.keys.unwrap(tid, wrapped, context)) == 32
    old.store.close()


def test_failing_shred_hook_destroys_nothing(seal: ChatSeal) -> None:
    """A backup hook that fails stops the epoch before any version is destroyed."""
    ids = populate(seal, 2)

    def broken(_: object) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        seal.key_ops.shred(ADMIN, "acme", hooks=[broken])
    states = [v.state for v in seal.keys.describe(tenant_id(seal)).versions]
    assert states == ["active", "active"]
    assert len(read_all(seal, ids)) == 2


# -- reencrypt ---------------------------------------------------------------------------------


def test_reencrypt_rekeys_one_conversation(seal: ChatSeal) -> None:
    """New data keys for one conversation, every record re-sealed, the others untouched."""
    target, other = populate(seal, 2)
    seal.session(READER).conversations.items.create(
        target, items=[{"type": "message", "role": "assistant", "content": f"{CANARY} more"}]
    )
    before = read_all(seal, [target, other])
    tid = tenant_id(seal)
    with seal.read() as tx:
        old_keys = {r.namespace: r.wrapped for r in tx.data_keys(tid, target)}
        other_keys = tx.data_keys(tid, other)
        old_items = {r.item_id: r.sealed for r in tx.list_items(
            tid, target, after_position=None, limit=100, descending=False)}  # fmt: skip
        old_meta = tx.get_conversation(tid, target)
    result = seal.key_ops.reencrypt(ADMIN, "acme", target)
    assert result["items_resealed"] == 3 and result["namespaces"] == ["content", "prompts"]
    assert CANARY not in json.dumps(result)
    with seal.read() as tx:
        new_keys = {r.namespace: r.wrapped for r in tx.data_keys(tid, target)}
        new_items = {r.item_id: r.sealed for r in tx.list_items(
            tid, target, after_position=None, limit=100, descending=False)}  # fmt: skip
        assert tx.data_keys(tid, other) == other_keys
        new_meta = tx.get_conversation(tid, target)
    assert new_keys.keys() == old_keys.keys()
    assert all(new_keys[ns] != old_keys[ns] for ns in old_keys)
    assert new_items.keys() == old_items.keys()
    assert all(new_items[i] != old_items[i] for i in old_items)
    assert old_meta is not None and new_meta is not None and new_meta.metadata != old_meta.metadata
    seal.cache.flush()
    assert read_all(seal, [target, other]) == before
    with pytest.raises(NotFound):
        seal.key_ops.reencrypt(ADMIN, "acme", "conv_missing")


# -- separation of duties, status, automatic rotation -------------------------------------------


def test_key_operations_need_key_admin(seal: ChatSeal) -> None:
    """Data roles cannot run key operations; a key admin cannot read content; tenants are walls."""
    (cid,) = populate(seal, 1)
    ops = seal.key_ops
    for roles in (("user",), ("tenant-admin",), ("agent",), ("support",)):
        who = Principal.of("acme", "x", *roles, purpose="support")
        for call in (
            lambda p: ops.rotate(p, "acme"),
            lambda p: ops.rewrap(p, "acme"),
            lambda p: ops.retire(p, "acme", 1),
            lambda p: ops.destroy(p, "acme", 1),
            lambda p: ops.shred(p, "acme"),
            lambda p: ops.reencrypt(p, "acme", cid),
        ):
            with pytest.raises(PermissionDenied):
                call(who)
        if "tenant-admin" not in roles:
            # The default policy lets a tenant admin read key status (versions, ages), no more.
            with pytest.raises(PermissionDenied):
                ops.status(who, "acme")
    with pytest.raises(NotFound):
        ops.rotate(Principal.of("globex", "kim", "key-admin"), "acme")
    both = Principal.of("acme", "kim", "key-admin", "tenant-admin", purpose="operations")
    for who in (ADMIN, both):
        with pytest.raises(NotFound):
            seal.session(who).conversations.items.list(cid)
    assert seal.keys.describe(tenant_id(seal)).primary_version == 1


def test_status_overdue_and_rotate_due(seal: ChatSeal, clock: FixedClock) -> None:
    """Status reports ages, counts and overdue keys; rotate_due rotates overdue tenants only."""
    populate(seal, 2)
    seal.tenants.update("acme", rotation_period="1d")
    operator = Principal.of(ANY_TENANT, "scheduler", "key-admin")
    clock.advance(2 * 86_400)
    report = {t["tenant"]: t for t in seal.key_ops.status(operator)}
    assert report["acme"]["overdue"] and not report["globex"]["overdue"]
    assert report["acme"]["rotation_period"] == "1d"
    assert report["globex"]["rotation_period"] == "90d"
    assert report["acme"]["versions"][0]["data_keys"] == 4
    assert report["acme"]["primary_age_days"] == 2.0
    assert seal.key_ops.rotate_due(operator) == ["acme"]
    (acme,) = seal.key_ops.status(ADMIN, "acme")
    assert not acme["overdue"] and acme["rewrap"]["pending"] == 5
    seal.key_ops.rewrap(ADMIN, "acme")
    (acme,) = seal.key_ops.status(ADMIN, "acme")
    assert acme["rewrap"] == {"pending": 0, "done_fraction": 1.0, "index_key_version": 2}
    assert seal.key_ops.rotate_due(operator) == []
    with pytest.raises(PermissionDenied):
        seal.key_ops.status(Principal.of(ANY_TENANT, "eve", "user"))


def test_parse_period() -> None:
    """Rotation periods read as seconds; nonsense is refused."""
    assert parse_period("90d") == 90 * 86_400
    assert parse_period("12h") == 43_200
    assert parse_period("2w") == 1_209_600
    assert parse_period("off") == 0
    assert parse_period(60) == 60
    for bad in ("soon", "-1d", "3y"):
        with pytest.raises(Exception, match="rotation period"):
            parse_period(bad)


# -- the docs/keys.md runbook ---------------------------------------------------------------------


def runbook_commands() -> list[list[str]]:
    """The command lines of the compromise runbook, exactly as docs/keys.md shows them."""
    text = (ROOT / "docs" / "keys.md").read_text("utf-8")
    block = re.search(r"<!-- runbook:start -->(.*?)<!-- runbook:end -->", text, re.S)
    assert block is not None
    lines = [line.removeprefix("$ ") for line in block.group(1).splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("chatseal ")]


def test_compromise_runbook(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runbook in docs/keys.md, followed through the CLI, ends in the state it promises."""
    monkeypatch.setenv("CHATSEAL_HOME", str(home))  # the root --home sets it; restore after
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", str(home), "init"]).exit_code == 0
    cs = ChatSeal.open(home)
    cs.tenants.create("acme")
    ids = populate(cs, 5)
    before = read_all(cs, ids)
    cs.close()
    outputs = []
    commands = runbook_commands()
    assert [c[1] for c in commands] == [
        "status", "rotate", "rewrap", "status", "retire", "destroy", "reencrypt", "status"]  # fmt: skip
    for line in commands:
        args = [ids[0] if a == "$CONV" else a for a in line]
        result = runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stderr)
        assert CANARY not in result.stdout
        outputs.append(result.stdout)
    (first,) = json.loads(outputs[0])
    (middle,) = json.loads(outputs[3])
    (last,) = json.loads(outputs[-1])
    assert first["primary_version"] == 1
    assert middle["rewrap"]["pending"] == 0
    assert [(v["version"], v["state"]) for v in last["versions"]] == [
        (1, "destroyed"),
        (2, "active"),
    ]
    assert last["versions"][1]["data_keys"] == 10 and last["rewrap"]["pending"] == 0
    cs = ChatSeal.open(home)
    try:
        assert read_all(cs, ids) == before
    finally:
        cs.close()


def test_key_events_are_audited(seal: ChatSeal) -> None:
    """Rotate, rewrap, retire, destroy and a denial reach on_event (and the audit log) as
    versions and counts, never content."""
    populate(seal, 2)
    events: list[tuple[str, dict[str, Any]]] = []
    seal.key_ops.on_event = lambda kind, fields: events.append((kind, fields))
    ops = seal.key_ops
    ops.rotate(ADMIN, "acme")
    ops.rewrap(ADMIN, "acme")
    ops.retire(ADMIN, "acme", 2)
    ops.destroy(ADMIN, "acme", 1)
    with pytest.raises(PermissionDenied):
        ops.rotate(READER, "acme")
    kinds = [(kind, fields["action"]) for kind, fields in events]
    assert kinds == [
        ("key.rotate", "keys.rotate"),
        ("key.rotate", "keys.rewrap.progress"),
        ("key.rotate", "keys.rewrap"),
        ("key.retire", "keys.retire"),
        ("key.destroy", "keys.destroy"),
    ]
    assert events[2][1]["item_count"] == 4 and events[4][1]["key_version"] == 1
    assert CANARY not in json.dumps(events)


def test_key_audit_events_parse(seal: ChatSeal) -> None:
    """The key events queued in the audit log are valid canonical events (audit/events.py)."""
    from chatseal.audit.events import parse_event

    assert seal.audit is not None
    queued: list[bytes] = []
    record = seal.audit.record_now

    def spy(data: bytes) -> None:
        queued.append(data)
        record(data)

    seal.audit.record_now = spy  # type: ignore[method-assign]
    (cid,) = populate(seal, 1)
    seal.key_ops.shred(ADMIN, "acme")
    seal.key_ops.reencrypt(ADMIN, "acme", cid)
    with pytest.raises(PermissionDenied):
        seal.key_ops.status(READER, "acme")
    parsed = [parse_event(data) for data in queued]
    assert {e.type for e in parsed} == {
        "key.rotate",
        "key.destroy",
        "key.generate",
        "access.decision",
    }
    assert CANARY.encode() not in b"".join(queued)
