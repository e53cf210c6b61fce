"""`chatseal tenant move NAME --to REGION` and `chatseal region list` (docs/deployment.md)."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, emit, home_option
from chatseal.service.regions import RegionRouter


@click.command("move")
@click.argument("name")
@click.option("--to", "to", required=True, help="The region to move the tenant to.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@home_option
@clean_errors
def move(name: str, to: str, yes: bool, home: str) -> None:
    """Move tenant NAME to region TO: copy its sealed rows, re-wrap its keys, shred the source."""
    if not yes and not click.confirm(
        f"Move tenant '{name}' to region '{to}' and destroy its copy in its current region?",
        err=True,
    ):
        raise click.Abort
    with RegionRouter.open(home) as router:
        emit(router.move_tenant(name, to))


@click.group("region")
def region_group() -> None:
    """Regions: each has its own store, key backend and audit log."""


@region_group.command("list")
@home_option
@clean_errors
def list_(home: str) -> None:
    """List the configured regions and the tenants pinned to each."""
    with RegionRouter.open(home) as router:
        tenants = router.list_tenants()
        emit(
            [
                {
                    "region": region.name,
                    "store": region.store_url.split("@")[-1].split("?")[0],
                    "keys": region.keys_url.split(":", 1)[0],
                    "allow_moves_to": list(region.allow_moves_to),
                    "tenants": [t.name for r, t in tenants if r == region.name],
                }
                for region in router.regions.values()
            ]
        )


def register(cli: click.Group) -> None:
    """Add `tenant move` to the tenant group and the `region` group to the root."""
    from chatseal.cli.tenant import tenant_group

    tenant_group.add_command(move)
    cli.add_command(region_group)
