"""C2SP signed notes and vkeys: known examples, round trips, tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.audit.note import (
    ALG_ED25519,
    Signer,
    Verifier,
    key_id,
    open_note,
    parse_note,
    raw_public,
    sign_note,
)
from chatseal.errors import IntegrityError, InvalidRequest

VECTORS = json.loads((Path(__file__).parent / "vectors" / "signed_note.json").read_text("utf-8"))


def test_go_sumdb_note_example_verifies() -> None:
    """The signed example of Go's sumdb/note documentation verifies with its published vkey."""
    verifier = Verifier.from_vkey(VECTORS["go_vkey"])
    note = open_note(VECTORS["go_note"], verifier)
    assert note.text.startswith("If you think cryptography")
    assert verifier.vkey() == VECTORS["go_vkey"]


def test_go_example_tampered_fails() -> None:
    """One changed character of the Go example's text breaks its signature."""
    verifier = Verifier.from_vkey(VECTORS["go_vkey"])
    with pytest.raises(IntegrityError):
        open_note(VECTORS["go_note"].replace("cryptography", "cryptographY"), verifier)


def test_c2sp_example_parses() -> None:
    """The c2sp.org/signed-note example splits at its last blank line into text and a 64-byte sig."""
    note = parse_note(VECTORS["c2sp_note"])
    assert note.text.endswith("ed è subito sera.\n")
    assert "\n\n" in note.text
    assert [s.name for s in note.signatures] == ["quasimodo.example/salvatore"]
    assert len(note.signatures[0].signature) == 64


def test_key_id_follows_spec(log_signer: Signer) -> None:
    """The key ID is SHA-256(name || 0x0A || 0x01 || pubkey)[:4] and appears in the vkey."""
    pub = raw_public(log_signer.verifier.public_key)
    kid = key_id(log_signer.name, ALG_ED25519, pub)
    assert log_signer.verifier.key_hash == kid
    assert log_signer.verifier.vkey().split("+", 2)[1] == kid.hex()


def test_round_trip_and_unknown_keys_ignored(log_signer: Signer) -> None:
    """A note signed by two keys opens with either; an unknown key alone does not suffice."""
    other = Signer.generate("other.example/key")
    note = sign_note("hello\n", log_signer, other)
    assert open_note(note, log_signer.verifier).text == "hello\n"
    assert open_note(note, other.verifier).text == "hello\n"
    stranger = Signer.generate("stranger.example/key")
    with pytest.raises(IntegrityError):
        open_note(note, stranger.verifier)


def test_same_name_different_key_is_ignored(log_signer: Signer) -> None:
    """A signature under the same name but another key ID is ignored, not accepted."""
    impostor = Signer.generate(log_signer.name)
    with pytest.raises(IntegrityError):
        open_note(sign_note("x\n", impostor), log_signer.verifier)


def test_bad_signature_from_known_key_rejects(log_signer: Signer) -> None:
    """A known key's signature over other text rejects the whole note."""
    note = sign_note("a\n", log_signer)
    forged = "b\n" + note[2:]
    with pytest.raises(IntegrityError):
        open_note(forged, log_signer.verifier)


@pytest.mark.parametrize(
    "vkey",
    ["", "name+1234+AAAA", "na me+00000000+" + "A" * 44, "name+zzzzzzzz+AQ==", "a+b+c+d"],
)
def test_malformed_vkeys_refused(vkey: str) -> None:
    """Malformed vkeys are refused with InvalidRequest."""
    with pytest.raises(InvalidRequest):
        Verifier.from_vkey(vkey)


def test_vkey_with_wrong_hash_refused(log_signer: Signer) -> None:
    """A vkey whose key ID does not match its key is refused."""
    name, _, blob = log_signer.verifier.vkey().split("+", 2)
    with pytest.raises(InvalidRequest):
        Verifier.from_vkey(f"{name}+00000000+{blob}")


@pytest.mark.parametrize("text", ["no newline", "tab\there\n", "\x01\n"])
def test_bad_text_refused(log_signer: Signer, text: str) -> None:
    """Text without a final newline or with control characters is not signed."""
    with pytest.raises(InvalidRequest):
        sign_note(text, log_signer)


@pytest.mark.parametrize(
    "note", ["text\n", "text\n\n", "text\n\n- name AAAA\n", "text\n\n\u2014 name !!!\n"]
)
def test_malformed_notes_refused(note: str) -> None:
    """Notes without valid signature lines are refused."""
    with pytest.raises(InvalidRequest):
        parse_note(note)
