"""`chatseal retention run | status | hold … | receipts | vkey`."""

from __future__ import annotations

from datetime import datetime

import click

from chatseal.cli.common import (
    clean_errors,
    emit,
    home_option,
    open_seal,
    open_seal_for,
    region_router,
)
from chatseal.errors import InvalidRequest


def parse_time(text: str) -> int:
    """Unix seconds, or an RFC 3339 time such as 2027-01-31T00:00:00Z."""
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest("--at is Unix seconds or an RFC 3339 time", param="at") from None
    if parsed.tzinfo is None:
        raise InvalidRequest("--at needs a time zone (e.g. a trailing Z)", param="at")
    return int(parsed.timestamp())


@click.group("retention")
def retention_group() -> None:
    """Purge expired conversations, watch the backlog, place and release legal holds."""


@retention_group.command("run")
@click.option("--at", "at", default=None, help="Decide as of this time (default now).")
@click.option("--tenant", default=None, help="Only this tenant.")
@home_option
@clean_errors
def run(at: str | None, tenant: str | None, home: str) -> None:
    """Purge (crypto-shred) every conversation past its expiry and not on hold."""
    when = None if at is None else parse_time(at)
    if tenant is not None:
        with open_seal_for(home, tenant) as seal:
            emit(seal.retention.run(when, tenant=tenant))
        return
    with open_seal(home) as seal, region_router(seal) as router:
        if router is None:
            emit(seal.retention.run(when))
            return
        # Every region purges its own tenants in its own store, with its own receipts and log.
        regions = {name: router.seal(name).retention.run(when) for name in router.regions}
    emit(
        {
            "at": next(iter(regions.values()))["at"],
            "purged": sum(r["purged"] for r in regions.values()),
            "held": sum(r["held"] for r in regions.values()),
            "receipts": [receipt for r in regions.values() for receipt in r["receipts"]],
            "regions": regions,
        }
    )


@retention_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the full status as JSON.")
@click.option("--at", "at", default=None, help="As of this time (default now).")
@home_option
@clean_errors
def status(as_json: bool, at: str | None, home: str) -> None:
    """Show the backlog, the oldest overdue conversation and adherence to the SLA."""
    with open_seal(home) as seal:
        report = seal.retention.status(None if at is None else parse_time(at))
    if as_json:
        emit(report)
        return
    oldest = report["oldest_overdue"]
    click.echo(f"backlog:      {report['backlog']} due ({report['late_backlog']} past the SLA)")
    click.echo(f"held:         {report['held']} past expiry, kept by legal holds")
    click.echo(
        f"adherence:    {report['adherence']:.2%} of {report['purged']} purges within "
        f"{report['sla_hours']:g} h"
    )
    if oldest:
        click.echo(
            f"oldest due:   {oldest['conversation_id']} ({oldest['tenant']}), due "
            f"{oldest['due_at']}, overdue {oldest['overdue_seconds']} s"
        )
    else:
        click.echo("oldest due:   none")


@retention_group.group("hold")
def hold_group() -> None:
    """Legal holds: while active, they stop expiry (and erasure) of what they cover."""


@hold_group.command("add")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--conversation", default=None, help="Hold one conversation (default: the tenant).")
@click.option("--reason", required=True, help="Why (a case or matter reference).")
@click.option("--owner", required=True, help="Who answers for the hold.")
@home_option
@clean_errors
def hold_add(tenant: str, conversation: str | None, reason: str, owner: str, home: str) -> None:
    """Place a legal hold; prints it as JSON."""
    with open_seal_for(home, tenant) as seal:
        hold = seal.retention.hold(tenant, reason=reason, owner=owner, conversation_id=conversation)
        emit(hold.to_dict())


@hold_group.command("list")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--all", "include_released", is_flag=True, help="Include released holds.")
@home_option
@clean_errors
def hold_list(tenant: str, include_released: bool, home: str) -> None:
    """List a tenant's holds."""
    with open_seal_for(home, tenant) as seal:
        holds = seal.retention.holds(tenant, include_released=include_released)
        emit([h.to_dict() for h in holds])


@hold_group.command("release")
@click.argument("hold_id")
@click.option("--tenant", required=True, help="Tenant name.")
@home_option
@clean_errors
def hold_release(hold_id: str, tenant: str, home: str) -> None:
    """Release a hold: what it kept past expiry falls due at once."""
    with open_seal_for(home, tenant) as seal:
        emit(seal.retention.release(tenant, hold_id).to_dict())


@retention_group.command("receipts")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@home_option
@clean_errors
def receipts(tenant: str, limit: int, home: str) -> None:
    """Print a tenant's newest signed deletion receipts (retention and erasure)."""
    with open_seal_for(home, tenant) as seal:
        rows = seal.retention.receipts(tenant, limit)
    emit(
        [
            {"receipt_id": r.receipt_id, "kind": r.kind, "created_at": r.created_at, "note": r.note}
            for r in rows
        ]
    )


@retention_group.command("vkey")
@home_option
@clean_errors
def vkey(home: str) -> None:
    """Print the verifier key of deletion receipts (c2sp.org/signed-note vkey)."""
    with open_seal(home) as seal:
        click.echo(seal.retention.signer.verifier.vkey())


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(retention_group)
