"""`chatseal token issue | rotate-key | jwks`: ChatSeal's own access tokens."""

from __future__ import annotations

import json
import re

import click

from chatseal.cli.common import clean_errors, home_option, open_seal, open_seal_for

_TTL = re.compile(r"([0-9]+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """Read a lifetime such as `900`, `15m`, `1h` or `1d` as seconds."""
    match = _TTL.fullmatch(text.strip())
    if match is None:
        raise click.BadParameter("use seconds or a number with s, m, h or d (e.g. 15m)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def register(cli: click.Group) -> None:
    """Add the `token` group to the root group."""

    @cli.group("token")
    def token() -> None:
        """Mint access tokens and manage their signing keys."""

    @token.command("issue")
    @home_option
    @click.option("--tenant", required=True, help="Tenant the token acts in.")
    @click.option("--subject", required=True, help="Who the token speaks for (e.g. user:alice).")
    @click.option("--role", "roles", multiple=True, required=True, help="Role (repeatable).")
    @click.option("--scope", "scopes", multiple=True, help="Scope (repeatable).")
    @click.option("--purpose", default=None, help="Declared purpose (e.g. support).")
    @click.option(
        "--ttl", default="15m", show_default=True, help="Lifetime: seconds, or 15m, 1h, 1d."
    )
    @clean_errors
    def issue(
        home: str,
        tenant: str,
        subject: str,
        roles: tuple[str, ...],
        scopes: tuple[str, ...],
        purpose: str | None,
        ttl: str,
    ) -> None:
        """Print a signed access token, and nothing else, on stdout."""
        from chatseal.auth import token_service

        seconds = parse_ttl(ttl)
        # The tenant must exist in its own region; the signing key is the home's, for all regions.
        with open_seal_for(home, tenant) as seal:
            assert seal.config is not None
            seal.tenants.retrieve(tenant)
            service = token_service(seal.config.home, seal.config, create=True)
            click.echo(
                service.mint(
                    tenant=tenant,
                    subject=subject,
                    roles=roles,
                    scopes=scopes,
                    purpose=purpose,
                    ttl_seconds=seconds,
                )
            )

    @token.command("rotate-key")
    @home_option
    @clean_errors
    def rotate_key(home: str) -> None:
        """Sign with a new key; the previous one keeps verifying until its tokens expire."""
        from chatseal.auth import token_service

        with open_seal(home) as seal:
            assert seal.config is not None
            fresh = token_service(seal.config.home, seal.config, create=True).keys.rotate()
        click.echo(json.dumps({"kid": fresh.kid, "created_at": fresh.created_at}))

    @token.command("jwks")
    @home_option
    @clean_errors
    def jwks(home: str) -> None:
        """Print the public JWK Set (what /.well-known/jwks.json serves)."""
        from chatseal.auth import token_service

        with open_seal(home) as seal:
            assert seal.config is not None
            click.echo(
                json.dumps(
                    token_service(seal.config.home, seal.config, create=True).keys.jwks(), indent=2
                )
            )
