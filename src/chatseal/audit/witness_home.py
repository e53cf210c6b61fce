"""A witness's own directory: its key, the logs it trusts, and its state (never the log's).

<dir>/witness.key     the Ed25519 seed, base64 (0600)
<dir>/name            the witness's key name
<dir>/logs/*.vkey     verifier keys (C2SP vkey) of the logs it cosigns
<dir>/state.json      per log origin, the size and root it last cosigned
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from chatseal.audit.note import ALG_COSIGNATURE_V1, Signer, Verifier, check_name
from chatseal.audit.witness import Witness
from chatseal.clock import Clock
from chatseal.errors import Conflict, InvalidRequest, NotInitialised
from chatseal.files import write_secret_file


def init_witness(directory: Path, name: str) -> Verifier:
    """Create a witness directory with a fresh key; return its verifier key."""
    check_name(name)
    key = directory / "witness.key"
    if key.exists():
        raise Conflict(f"{directory} already holds a witness")
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    write_secret_file(key, base64.b64encode(os.urandom(32)) + b"\n")
    (directory / "name").write_text(name + "\n", "utf-8")
    return open_witness(directory).verifier


def trust_log(directory: Path, vkey: str) -> Verifier:
    """Add a log's verifier key to the logs this witness cosigns."""
    verifier = Verifier.from_vkey(vkey.strip())
    digest = hashlib.sha256(verifier.name.encode()).hexdigest()[:16]
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    (directory / "logs" / f"{digest}.vkey").write_text(vkey.strip() + "\n", "utf-8")
    return verifier


def open_witness(directory: Path, clock: Clock | None = None) -> Witness:
    """Load a witness from its directory."""
    key = directory / "witness.key"
    if not key.exists():
        raise NotInitialised(f"no witness in {directory}: run 'chatseal witness init'")
    try:
        seed = base64.b64decode(key.read_bytes().strip(), validate=True)
    except ValueError:
        raise InvalidRequest("the witness key file is not base64", param="witness") from None
    name = (directory / "name").read_text("utf-8").strip()
    signer = Signer.from_seed(name, seed, alg=ALG_COSIGNATURE_V1)
    logs = [
        Verifier.from_vkey(path.read_text("utf-8").strip())
        for path in sorted((directory / "logs").glob("*.vkey"))
    ]
    return Witness(signer, directory / "state.json", logs, clock=clock)
