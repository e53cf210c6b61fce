"""Server TLS contexts and the mapping of client certificate subjects to principals."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chatseal.auth.mtls import certificate_principal, load_subjects, server_context
from chatseal.errors import AuthenticationError, ConfigError


def _cert(common_name: str) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER), key


def test_server_context_is_tls13_only(tmp_path: Path) -> None:
    """The context refuses anything below TLS 1.3 and requires a client certificate with a CA."""
    der, key = _cert("localhost")
    cert_file, key_file = tmp_path / "c.pem", tmp_path / "k.pem"
    cert_file.write_text(ssl.DER_cert_to_PEM_cert(der))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    plain = server_context(str(cert_file), str(key_file))
    assert plain.minimum_version == ssl.TLSVersion.TLSv1_3 and plain.verify_mode == ssl.CERT_NONE
    mutual = server_context(str(cert_file), str(key_file), str(cert_file))
    assert (
        mutual.minimum_version == ssl.TLSVersion.TLSv1_3 and mutual.verify_mode == ssl.CERT_REQUIRED
    )


def test_subjects_map_to_principals() -> None:
    """A mapped subject (spacing after commas ignored) becomes its principal; others are refused."""
    subjects = load_subjects(
        {
            "subjects": {
                "CN=billing, O=Acme": {"tenant": "acme", "roles": ["agent"], "purpose": "billing"}
            }
        }
    )
    der, _ = _cert("billing")
    principal = certificate_principal(der, subjects)
    assert (principal.tenant, principal.roles, principal.purpose) == (
        "acme",
        frozenset({"agent"}),
        "billing",
    )
    assert principal.subject == "x509:CN=billing,O=Acme" and principal.credential_kind == "mtls"
    stranger, _ = _cert("stranger")
    with pytest.raises(AuthenticationError):
        certificate_principal(stranger, subjects)
    with pytest.raises(AuthenticationError):
        certificate_principal(b"not a certificate", subjects)


@pytest.mark.parametrize(
    "section",
    [
        {"subjects": []},
        {"subjects": {"CN=x": {"roles": ["a"]}}},
        {"subjects": {"CN=x": {"tenant": "a", "roles": "a"}}},
    ],
)
def test_bad_subject_tables_are_refused(section: dict[str, object]) -> None:
    """Malformed [mtls.subjects] tables are configuration errors."""
    with pytest.raises(ConfigError):
        load_subjects(section)
