"""`chatseal witness`: an independent witness cosigns consistent checkpoints, refuses forks, and
the service can be made to require its cosignature on every checkpoint."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatseal.audit.note import Verifier
from chatseal.audit.witness import verify_cosignature
from chatseal.cli.main import cli
from chatseal.errors import ChatSealError
from chatseal.model import Principal
from chatseal.service import ChatSeal


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the CLI; return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_witness_cosigns_and_refuses_a_fork(tmp_path: Path) -> None:
    """The witness cosigns a growing log with consistency proofs, and refuses a forked tree."""
    wdir, home = tmp_path / "witness", tmp_path / "home"
    code, wkey, _ = invoke("witness", "init", str(wdir), "--name", "witness.test")
    assert code == 0
    assert (wdir / "witness.key").stat().st_mode & 0o777 == 0o600
    seal = ChatSeal.open(home, create=True)
    seal.tenants.create("acme")
    assert seal.audit is not None
    assert invoke("witness", "trust", str(wdir), seal.audit.verifier.vkey())[0] == 0
    first = seal.audit.checkpoint()
    code, line, err = invoke("witness", "cosign", str(wdir), "--old-size", "0", stdin=first)
    assert code == 0, err
    assert verify_cosignature(first + line, Verifier.from_vkey(wkey.strip())) > 0
    old = int(first.split("\n")[1])
    seal.session(Principal.of("acme", "a", "user")).conversations.create()
    second = seal.audit.checkpoint()
    proof = tmp_path / "proof"
    size = int(second.split("\n")[1])
    proof.write_text(
        "\n".join(
            base64.b64encode(h).decode() for h in seal.audit.tree.consistency_proof(old, size)
        )
    )
    code, _, err = invoke(
        "witness", "cosign", str(wdir), "--old-size", str(old), "--proof", str(proof), stdin=second
    )
    assert code == 0, err
    # A different log under the same name and key history cannot be shown to the witness.
    code, _, err = invoke("witness", "cosign", str(wdir), "--old-size", "0", stdin=first)
    assert code == 1 and "chatseal: error:" in err
    seal.close()


def test_service_requires_a_witness_when_configured(tmp_path: Path) -> None:
    """With require_witness, checkpoints carry the witness's cosignature; without a trusting
    witness the service cannot sign (fails closed)."""
    wdir, home = tmp_path / "witness", tmp_path / "home"
    invoke("witness", "init", str(wdir), "--name", "witness.test")
    home.mkdir()
    (home / "chatseal.toml").write_text(
        f'[audit]\nwitness_dirs = ["{wdir}"]\nrequire_witness = true\n'
    )
    seal = ChatSeal.open(home, create=True)
    assert seal.audit is not None
    with pytest.raises(ChatSealError):
        seal.audit.checkpoint()  # the witness does not trust this log yet: nothing is signed
    invoke("witness", "trust", str(wdir), seal.audit.verifier.vkey())
    seal.close()
    seal = ChatSeal.open(home)
    assert seal.audit is not None
    note = seal.audit.checkpoint()
    code, wkey, _ = invoke("witness", "vkey", str(wdir))
    assert code == 0
    assert verify_cosignature(note, Verifier.from_vkey(wkey.strip())) > 0
    seal.close()
