"""TLS for the server: TLS 1.3 minimum, and mTLS with client certificates mapped to principals.

uvicorn sets no minimum TLS version and asks for no client certificate, so we build the
`ssl.SSLContext` ourselves (HARDENING.md, TLS). uvicorn also never hands the peer certificate to
the app: `chatseal.api.server` reads it from the TLS transport in its protocol class and passes it
in the ASGI scope as the ASGI TLS extension (`scope["extensions"]["tls"]["client_cert_chain"]`),
where `certificate_principal` maps the verified subject through `[mtls.subjects]`.

```toml
[mtls.subjects."CN=billing,O=Acme"]      # RFC 4514 string of the certificate subject
tenant = "acme"
roles = ["agent"]
purpose = "billing"
subject = "svc:billing"                  # optional; defaults to the RFC 4514 string
```
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from chatseal.errors import AuthenticationError, ConfigError
from chatseal.model import Principal


def server_context(cert_file: str, key_file: str, client_ca: str | None = None) -> ssl.SSLContext:
    """A TLS 1.3-only server context; with a client CA, a client certificate is required."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert_file, key_file)
    if client_ca:
        # Only the configured CA: the system store must not vouch for clients.
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@dataclass(frozen=True)
class CertificateMapping:
    """What principal a certificate subject stands for."""

    tenant: str
    roles: frozenset[str]
    purpose: str | None
    subject: str | None


def load_subjects(section: dict[str, Any]) -> dict[str, CertificateMapping]:
    """Read `[mtls.subjects]` from the configuration."""
    raw = section.get("subjects", {})
    if not isinstance(raw, dict):
        raise ConfigError("[mtls.subjects] must be a table")
    found: dict[str, CertificateMapping] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("tenant"), str):
            raise ConfigError(f'[mtls.subjects."{name}"] needs a tenant')
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ConfigError(f'[mtls.subjects."{name}"] roles must be a list of strings')
        found[_canonical(name)] = CertificateMapping(
            entry["tenant"], frozenset(roles), entry.get("purpose"), entry.get("subject")
        )
    return found


def _canonical(name: str) -> str:
    """Normalise an RFC 4514 string so spacing after commas does not matter."""
    return ",".join(part.strip() for part in name.split(","))


def subject_of(der: bytes) -> str:
    """The RFC 4514 string of a DER certificate's subject."""
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def certificate_principal(der: bytes, subjects: dict[str, CertificateMapping]) -> Principal:
    """Map a verified client certificate to a principal; unmapped subjects are refused."""
    try:
        name = _canonical(subject_of(der))
    except ValueError:
        raise AuthenticationError("the client certificate cannot be read") from None
    mapping = subjects.get(name)
    if mapping is None:
        raise AuthenticationError("the client certificate is not mapped to a principal")
    return Principal(
        tenant=mapping.tenant,
        subject=mapping.subject or f"x509:{name}",
        roles=mapping.roles,
        purpose=mapping.purpose,
        credential_kind="mtls",
    )
