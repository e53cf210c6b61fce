"""The token signing key file: 0600, RFC 7638 key ids, rollover keeping exactly one previous key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chatseal.auth.signing import SigningKeys, thumbprint
from chatseal.errors import ConfigError


def test_thumbprint_matches_rfc8037_vector() -> None:
    """The kid of RFC 8037 Appendix A.2's public key is the thumbprint given in A.3."""
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "="))
    assert thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_key_file_is_owner_only_and_jwks_is_public(tmp_path: Path) -> None:
    """`ensure` writes a 0600 file; the JWKS carries public members only."""
    keys = SigningKeys(tmp_path)
    keys.ensure()
    assert keys.path.stat().st_mode & 0o777 == 0o600
    (entry,) = keys.jwks()["keys"]
    assert (
        set(entry) == {"kty", "crv", "x", "kid", "use", "alg"}
        and entry["kid"] == keys.current().kid
    )


def test_rotation_keeps_one_previous_key(tmp_path: Path) -> None:
    """Each rotation makes a new current key; the old current stays, older keys are dropped."""
    keys = SigningKeys(tmp_path)
    keys.ensure()
    first = keys.current().kid
    second = keys.rotate().kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [second, first]
    third = keys.rotate().kid
    assert [k["kid"] for k in keys.jwks()["keys"]] == [third, second]
    assert keys.find(first) is None and keys.find(second) is not None
    other = SigningKeys(tmp_path)  # another process sees the same keys
    assert other.current().kid == third


def test_unsafe_or_damaged_files_are_refused(tmp_path: Path) -> None:
    """A group-readable, damaged or missing key file is a configuration error."""
    keys = SigningKeys(tmp_path)
    with pytest.raises(ConfigError):
        keys.current()
    keys.ensure()
    keys.path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        SigningKeys(tmp_path).current()
    keys.path.chmod(0o600)
    keys.path.write_text(
        json.dumps({"format": 1, "keys": [{"kid": "x", "created_at": 1, "private": "!!"}]})
    )
    with pytest.raises(ConfigError, match="damaged"):
        SigningKeys(tmp_path).current()
