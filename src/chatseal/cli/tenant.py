"""`chatseal tenant create | list | show | update | delete`."""

from __future__ import annotations

from typing import TextIO

import click

from chatseal.cli.common import (
    clean_errors,
    emit,
    format_option,
    home_option,
    open_seal,
    open_seal_for,
    region_router,
)
from chatseal.errors import NotFound
from chatseal.model import CLASSIFICATIONS
from chatseal.service.minimisation import MODES
from chatseal.service.regions import DEFAULT_REGION


@click.group("tenant")
def tenant_group() -> None:
    """Create, list and delete tenants (each has its own key-encryption key)."""


@tenant_group.command("create")
@click.argument("name")
@click.option(
    "--tier", type=click.Choice(CLASSIFICATIONS), default=None, help="Default classification tier."
)
@click.option(
    "--redaction",
    type=click.Choice(MODES),
    default=None,
    help="Redaction mode for every tier (default: each tier's own, see docs/minimisation.md).",
)
@click.option(
    "--region", default=None, help="Create and pin the tenant in this region (docs/deployment.md)."
)
@home_option
@clean_errors
def create(
    name: str, tier: str | None, redaction: str | None, region: str | None, home: str
) -> None:
    """Create tenant NAME and its key; prints the tenant as JSON."""
    settings: dict[str, object] = {"default_classification": tier} if tier else {}
    if redaction:
        settings["redaction"] = redaction
    with open_seal(home) as seal, region_router(seal) as router:
        if router is None:
            if region not in (None, DEFAULT_REGION):
                raise NotFound(f"no region named '{region}'", param="region")
            emit(seal.tenants.create(name, settings=settings).to_dict())
            return
        # With regions, a name is unique across all of them and the tenant is pinned to one.
        emit(router.create_tenant(name, region or DEFAULT_REGION, settings=settings).to_dict())


@tenant_group.command("update")
@click.argument("name")
@click.option("--tier", type=click.Choice(CLASSIFICATIONS), default=None, help="Default tier.")
@click.option(
    "--redaction",
    type=click.Choice([*MODES, "default"]),
    default=None,
    help="Redaction mode ('default' removes the tenant's own).",
)
@click.option("--retention-days", type=click.IntRange(min=0), default=None, help="0 keeps forever.")
@click.option(
    "--exportable/--not-exportable", default=None, help="Whether content may be exported."
)
@click.option(
    "--for-tier",
    type=click.Choice(CLASSIFICATIONS),
    default=None,
    help="Apply --redaction/--retention-days/--exportable to this tier only.",
)
@click.option(
    "--names-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Person names to redact, one a line (the tenant's name list).",
)
@home_option
@clean_errors
def update(
    name: str,
    tier: str | None,
    redaction: str | None,
    retention_days: int | None,
    exportable: bool | None,
    for_tier: str | None,
    names_file: TextIO | None,
    home: str,
) -> None:
    """Change tenant NAME's tier, redaction, retention or export policy; prints the tenant."""
    policy: dict[str, object] = {}
    if redaction is not None:
        policy["redaction"] = None if redaction == "default" else redaction
    if retention_days is not None:
        policy["retention_days"] = retention_days
    if exportable is not None:
        policy["exportable"] = exportable
    with open_seal_for(home, name) as seal:
        current = seal.tenants.retrieve(name).settings
        changes: dict[str, object] = {}
        if for_tier:
            tiers = dict(current.get("tiers", {}))
            merged = {**tiers.get(for_tier, {}), **policy}
            tiers[for_tier] = {k: v for k, v in merged.items() if v is not None}
            changes["tiers"] = tiers
        else:
            changes.update(policy)
        if tier:
            changes["default_classification"] = tier
        if names_file is not None:
            changes["redaction_names"] = [n.strip() for n in names_file if n.strip()]
        emit(seal.tenants.update(name, **changes).to_dict())


@tenant_group.command("list")
@format_option
@home_option
@clean_errors
def list_(fmt: str, home: str) -> None:
    """List tenants (of every region, with the region, when the config declares regions)."""
    with open_seal(home) as seal, region_router(seal) as router:
        if router is None:
            rows = [t.to_dict() for t in seal.tenants.list()]
        else:
            rows = [{**t.to_dict(), "region": r} for r, t in router.list_tenants()]
    if fmt == "table":
        rows = [{k: r[k] for k in ("name", "id", "created_at", "region") if k in r} for r in rows]
    emit(rows, fmt)


@tenant_group.command("show")
@click.argument("name")
@home_option
@clean_errors
def show(name: str, home: str) -> None:
    """Show one tenant."""
    with open_seal_for(home, name) as seal:
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
    with open_seal_for(home, name) as seal:
        removed = seal.tenants.delete(name)
    emit({"name": name, "deleted": True, "conversations_removed": removed})


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(tenant_group)
