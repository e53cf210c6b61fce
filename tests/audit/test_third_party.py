"""An independent verifier accepts our checkpoints, proofs, receipts and tiles.

The verifier is Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog (the code C2SP's
signed-note and tlog formats come from), from the Debian packages `golang-go` and
`golang-golang-x-mod-dev`; tests/audit/gotlog/main.go only glues them to files on disk.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

from chatseal.audit import merkle
from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.note import Signer
from chatseal.audit.proof import make_receipt
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tiles import export_tiles
from chatseal.audit.tree import AuditTree

from .conftest import leaves

GOPATH = Path("/usr/share/gocode")
PROGRAM = Path(__file__).parent / "gotlog" / "main.go"


def _go() -> str:
    go = shutil.which("go")
    assert go, "the Go toolchain is missing: apt-get install golang-go golang-golang-x-mod-dev"
    assert (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir(), (
        "golang.org/x/mod is missing: apt-get install golang-golang-x-mod-dev"
    )
    return go


def _run(
    tmp_path: Path, out: Path, vkey: str, checks: dict[str, object]
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "checks.json").write_text(json.dumps(checks))
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOFLAGS": "",
    }
    return subprocess.run(
        [_go(), "run", str(PROGRAM), str(out), vkey, str(tmp_path / "checks.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def _export(tmp_path: Path, signer: Signer, size: int) -> tuple[AuditTree, Path, dict[str, object]]:
    tree = AuditTree(MemoryTreeStorage())
    cps = CheckpointSigner(tree, signer)
    data = leaves(size)
    tree.append_many(data[: size // 3])
    early = cps.sign()
    tree.append_many(data[size // 3 :])
    note = cps.sign()
    out = tmp_path / "tiles"
    export_tiles(tree, note, out)
    inclusion = []
    for index, at in [
        (0, size),
        (size - 1, size),
        (size // 2, size),
        (7, size // 3),
        (255, size),
        (256, size),
    ]:
        inclusion.append(
            {
                "index": index,
                "size": at,
                "leaf_hash": _b64(merkle.leaf_hash(data[index])),
                "root": _b64(tree.root(at)),
                "proof": [_b64(h) for h in tree.inclusion_proof(index, at)],
            }
        )
    consistency = []
    for first, second in [
        (1, size),
        (size // 3, size),
        (256, size),
        (size - 1, size),
        (3, 7),
        (8, size),
    ]:
        consistency.append(
            {
                "first": first,
                "second": second,
                "first_root": _b64(tree.root(first)),
                "second_root": _b64(tree.root(second)),
                "proof": [_b64(h) for h in tree.consistency_proof(first, second)],
            }
        )
    receipts = [
        {
            "receipt": make_receipt(5, tree.inclusion_proof(5, size // 3), early, b"x"),
            "data": _b64(data[5]),
        },
        {
            "receipt": make_receipt(size - 2, tree.inclusion_proof(size - 2), note),
            "data": _b64(data[size - 2]),
        },
    ]
    return tree, out, {"inclusion": inclusion, "consistency": consistency, "receipts": receipts}


def test_go_tlog_accepts_our_log(tmp_path: Path, log_signer: Signer) -> None:
    """Go's note/tlog verify our checkpoint, tiles, bundles, proofs and receipts, and build equal proofs."""
    size = 256 * 3 + 77
    _, out, checks = _export(tmp_path, log_signer, size)
    result = _run(tmp_path, out, log_signer.verifier.vkey(), checks)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"OK size={size} entries={size} inclusion=6 consistency=6 receipts=2"
    )


def test_go_tlog_rejects_tampering(tmp_path: Path, log_signer: Signer) -> None:
    """The same verifier rejects a tampered tile, a forged proof and a foreign key."""
    size = 300
    _, out, checks = _export(tmp_path, log_signer, size)
    wrong_key = Signer.generate(log_signer.name).verifier.vkey()
    assert _run(tmp_path, out, wrong_key, checks).returncode != 0
    bad = json.loads(json.dumps(checks))
    bad["inclusion"][0]["proof"][0] = _b64(bytes(32))
    assert _run(tmp_path, out, log_signer.verifier.vkey(), bad).returncode != 0
    tile = out / "tile/0/000"
    raw = bytearray(tile.read_bytes())
    raw[0] ^= 1
    tile.write_bytes(bytes(raw))
    result = _run(tmp_path, out, log_signer.verifier.vkey(), checks)
    assert result.returncode != 0
    assert "gotlog:" in result.stderr


def test_go_note_verifies_known_answer_checkpoint(tmp_path: Path) -> None:
    """The stored known-answer checkpoint verifies under Go's note.Open via a one-entry-set export."""
    vector = json.loads((Path(__file__).parent / "vectors" / "checkpoint.json").read_text("utf-8"))
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many([bytes.fromhex(x) for x in vector["leaves_hex"]])
    out = tmp_path / "tiles"
    export_tiles(tree, vector["checkpoint"], out)
    result = _run(
        tmp_path, out, vector["vkey"], {"inclusion": [], "consistency": [], "receipts": []}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK size=10 entries=10")
