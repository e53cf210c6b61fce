"""`chatseal tenant create | list | show | delete`."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, emit, format_option, home_option, open_seal
from chatseal.model import CLASSIFICATIONS


@click.group("tenant")
def tenant_group() -> None:
    """Create, list and delete tenants (each has its own key-encryption key)."""


@tenant_group.command("create")
@click.argument("name")
@click.option(
    "--tier", type=click.Choice(CLASSIFICATIONS), default=None, help="Default classification tier."
)
@home_option
@clean_errors
def create(name: str, tier: str | None, home: str) -> None:
    """Create tenant NAME and its key; prints the tenant as JSON."""
    settings = {"default_classification": tier} if tier else {}
    with open_seal(home) as seal:
        emit(seal.tenants.create(name, settings=settings).to_dict())


@tenant_group.command("list")
@format_option
@home_option
@clean_errors
def list_(fmt: str, home: str) -> None:
    """List tenants."""
    with open_seal(home) as seal:
        rows = [t.to_dict() for t in seal.tenants.list()]
    if fmt == "table":
        rows = [{"name": r["name"], "id": r["id"], "created_at": r["created_at"]} for r in rows]
    emit(rows, fmt)


@tenant_group.command("show")
@click.argument("name")
@home_option
@clean_errors
def show(name: str, home: str) -> None:
    """Show one tenant."""
    with open_seal(home) as seal:
        emit(seal.tenants.retrieve(name).to_dict())


@tenant_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@home_option
@clean_errors
def delete(name: str, yes: bool, home: str) -> None:
    """Delete tenant NAME: destroys its key (crypto-shred), then its rows."""
    if not yes and not click.confirm(
        f"Destroy tenant '{name}' and all its data for good?", err=True
    ):
        raise click.Abort
    with open_seal(home) as seal:
        removed = seal.tenants.delete(name)
    emit({"name": name, "deleted": True, "conversations_removed": removed})


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(tenant_group)
