"""`chatseal client create | list | revoke`: OAuth2 clients for services (RFC 6749 §4.4)."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, emit, format_option, home_option, open_seal


def register(cli: click.Group) -> None:
    """Add the `client` group to the root group."""

    @cli.group("client")
    def client() -> None:
        """OAuth2 client credentials: exchanged at POST /oauth/token for short-lived tokens."""

    @client.command("create")
    @home_option
    @click.option("--tenant", required=True, help="Tenant the client acts in.")
    @click.option("--role", "roles", multiple=True, required=True, help="Role (repeatable).")
    @click.option("--purpose", default=None, help="Declared purpose carried by its tokens.")
    @clean_errors
    def create(home: str, tenant: str, roles: tuple[str, ...], purpose: str | None) -> None:
        """Create a client; prints its id and secret once (only a hash of the secret is kept)."""
        from chatseal.auth import Clients

        with open_seal(home) as seal:
            assert seal.config is not None
            info, secret = Clients(seal, seal.config.home).create(tenant, list(roles), purpose)
        click.echo(f"client_id: {info.client_id}")
        click.echo(f"client_secret: {secret}")
        click.echo("store the secret now: it is not shown again", err=True)

    @client.command("list")
    @home_option
    @click.option("--tenant", required=True, help="Tenant name.")
    @format_option
    @clean_errors
    def list_clients(home: str, tenant: str, fmt: str) -> None:
        """List a tenant's clients (never their secrets)."""
        from chatseal.auth import Clients

        with open_seal(home) as seal:
            assert seal.config is not None
            rows = [c.to_dict() for c in Clients(seal, seal.config.home).list(tenant)]
        emit(rows, fmt)

    @client.command("revoke")
    @home_option
    @click.argument("client_id")
    @clean_errors
    def revoke(home: str, client_id: str) -> None:
        """Revoke a client: its secret and its live tokens stop working at once."""
        from chatseal.auth import Clients

        with open_seal(home) as seal:
            assert seal.config is not None
            Clients(seal, seal.config.home).revoke(client_id)
        click.echo(f"revoked {client_id}")
