"""A witness: checks each checkpoint extends the last it cosigned, then cosigns it.

The cosignature is a C2SP tlog-cosignature/v1 (timestamped Ed25519) note signature line: key ID
SHA-256(name || 0x0A || 0x04 || public key)[:4], signature `u64 timestamp || Ed25519 sig` over

    cosignature/v1
    time <timestamp>
    <checkpoint body>

The witness keeps, per log origin, the size and root it last cosigned in a JSON state file
(written atomically, mode 0600), and never cosigns a checkpoint that is smaller or not provably
consistent with it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from chatseal.audit import merkle
from chatseal.audit.checkpoint import Checkpoint, open_checkpoint
from chatseal.audit.note import ALG_COSIGNATURE_V1, SIG_PREFIX, Signer, Verifier, parse_note
from chatseal.clock import Clock, SystemClock
from chatseal.errors import Conflict, IntegrityError, InvalidRequest
from chatseal.files import exclusive_lock, replace_file


def cosigned_message(body: str, timestamp: int) -> bytes:
    """Return the message a v1 cosignature signs (tlog-cosignature §Ed25519 signed message)."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosignature_line(signer: Signer, body: str, timestamp: int) -> str:
    """Return `— name base64(key ID || u64 timestamp || sig)` + newline."""
    if not 0 <= timestamp < 1 << 63:
        raise InvalidRequest("cosignature timestamp out of range", param="timestamp")
    sig = signer.sign(cosigned_message(body, timestamp))
    blob = signer.verifier.key_hash + struct.pack(">Q", timestamp) + sig
    return f"{SIG_PREFIX}{signer.name} {base64.b64encode(blob).decode()}\n"


def verify_cosignature(note: str, witness: Verifier) -> int:
    """Return the timestamp of `witness`'s valid cosignature on a checkpoint note.

    Raises IntegrityError when the witness did not cosign it or its signature fails.
    """
    if witness.alg != ALG_COSIGNATURE_V1:
        raise InvalidRequest("a witness vkey has signature type 0x04", param="vkey")
    parsed = parse_note(note)
    found = None
    for sig in parsed.signatures:
        if sig.name != witness.name or sig.key_hash != witness.key_hash:
            continue
        if len(sig.signature) != 72:
            raise IntegrityError("cosignature does not verify")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp >= 1 << 63 or not witness.verify(
            cosigned_message(parsed.text, timestamp), sig.signature[8:]
        ):
            raise IntegrityError("cosignature does not verify")
        found = timestamp
    if found is None:
        raise IntegrityError("checkpoint is not cosigned by this witness")
    return int(found)


class Witness:
    """Cosigns checkpoints of the logs it knows, keeping its state in a file."""

    def __init__(
        self,
        signer: Signer,
        state_path: Path,
        logs: Sequence[Verifier],
        *,
        clock: Clock | None = None,
    ) -> None:
        if signer.alg != ALG_COSIGNATURE_V1:
            raise InvalidRequest("a witness key has signature type 0x04", param="key")
        self.signer = signer
        self.state_path = Path(state_path)
        self.logs = {v.name: v for v in logs}
        self.clock = clock or SystemClock()

    @property
    def verifier(self) -> Verifier:
        """Return the witness's verifier key (type 0x04)."""
        return self.signer.verifier

    def state(self) -> dict[str, tuple[int, bytes]]:
        """Return origin -> (size, root) last cosigned."""
        try:
            raw = json.loads(self.state_path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            raise IntegrityError("witness state file is corrupt") from None
        try:
            return {
                o: (int(v["size"]), base64.b64decode(v["root"], validate=True))
                for o, v in raw.items()
            }
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise IntegrityError("witness state file is corrupt") from None

    def _save(self, state: dict[str, tuple[int, bytes]]) -> None:
        data = {o: {"size": s, "root": base64.b64encode(r).decode()} for o, (s, r) in state.items()}
        replace_file(
            self.state_path, json.dumps(data, sort_keys=True).encode("utf-8"), fsync_dir=True
        )

    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.state_path.with_name(self.state_path.name + ".lock"))

    def last_size(self, origin: str) -> int:
        """Return the size this witness last cosigned for `origin` (0 if none)."""
        return self.state().get(origin, (0, b""))[0]

    def cosign(self, note: str, old_size: int, proof: Sequence[bytes]) -> str:
        """Check `note` (a checkpoint signed by a known log) extends the last cosigned one.

        `proof` is the consistency proof from `old_size` (which must be the size this witness
        last cosigned for the origin, 0 if none) to the checkpoint. Returns the cosignature line.
        Raises Conflict when the caller's old size is stale (retry with the right one), and
        IntegrityError when the checkpoint is not signed by the log or is inconsistent.
        """
        origin = parse_note(note).text.split("\n", 1)[0]
        verifier = self.logs.get(origin)
        if verifier is None:
            raise InvalidRequest("this witness does not know that log", param="origin")
        checkpoint = open_checkpoint(note, verifier)
        with self._locked():
            state = self.state()
            last_size, last_root = state.get(origin, (0, merkle.EMPTY_ROOT))
            if old_size != last_size:
                raise Conflict(f"witness last cosigned size {last_size}")
            self._check(checkpoint, last_size, last_root, proof)
            timestamp = int(self.clock.now())
            state[origin] = (checkpoint.size, checkpoint.root)
            # Persist before answering: a cosignature must never exist for a state we forgot.
            self._save(state)
        return cosignature_line(self.signer, checkpoint.body(), timestamp)

    @staticmethod
    def _check(checkpoint: Checkpoint, size: int, root: bytes, proof: Sequence[bytes]) -> None:
        if checkpoint.size < size:
            raise IntegrityError("checkpoint is older than the one the witness cosigned")
        if not merkle.verify_consistency(size, checkpoint.size, root, checkpoint.root, proof):
            raise IntegrityError("checkpoint is inconsistent with the one the witness cosigned")
