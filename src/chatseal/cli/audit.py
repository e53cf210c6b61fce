"""`chatseal audit verify | checkpoint | prove | export | vkey | acknowledge`."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from chatseal.audit.proof import make_receipt
from chatseal.audit.tiles import export_tiles
from chatseal.cli.common import clean_errors, emit, home_option
from chatseal.errors import ChatSealError, ConfigError, InvalidRequest
from chatseal.service import ChatSeal
from chatseal.service.audit_trail import AuditTrail
from chatseal.service.reconcile import audit_report
from chatseal.service.regions import DEFAULT_REGION, RegionRouter

region_option = click.option(
    "--region",
    default=DEFAULT_REGION,
    show_default=True,
    help="The region whose log to use: each region keeps its own (docs/deployment.md).",
)


def _open(home: str, region: str = DEFAULT_REGION) -> tuple[ChatSeal, AuditTrail]:
    # The audit commands must work on a log that fails the start-up check: they investigate it.
    if region == DEFAULT_REGION:
        seal = ChatSeal.open(home, check_audit=False)
    else:
        seal = RegionRouter.open(home, check_audit=False).seal(region)
    if seal.audit is None:
        seal.close()
        raise ConfigError("the audit log is disabled in this home's configuration")
    return seal, seal.audit


@click.group("audit")
def audit_group() -> None:
    """Verify, checkpoint, prove and export the tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@region_option
@home_option
@clean_errors
def verify(as_json: bool, region: str, home: str) -> None:
    """Recompute the tree, check every checkpoint and signature, and reconcile the store with
    the log. Exit 0 only when all of it holds."""
    seal, _ = _open(home, region)
    try:
        summary = audit_report(seal)
    finally:
        with contextlib.suppress(ChatSealError):
            # A broken log cannot be integrated on close either; the report already says so.
            seal.close()
    problems: list[str] = summary["problems"]
    if as_json:
        emit(summary)
    else:
        click.echo(
            f"audit log: {summary['tree_size']} entries, {summary['checkpoints_checked']} stored "
            f"and {summary['external_checkpoints_checked']} external checkpoints, "
            f"{summary['conversations_reconciled']} conversations reconciled"
        )
        for problem in problems:
            click.echo(f"FAILED: {problem}")
        click.echo("OK" if not problems else f"{len(problems)} problem(s)")
    sys.exit(0 if not problems else 1)


@audit_group.command("checkpoint")
@region_option
@home_option
@clean_errors
def checkpoint(region: str, home: str) -> None:
    """Integrate queued events and sign a checkpoint now; prints the signed note."""
    seal, audit = _open(home, region)
    with seal:
        click.echo(audit.checkpoint(), nl=False)


@audit_group.command("prove")
@click.option("--index", type=click.IntRange(min=0), required=True, help="Entry index.")
@click.option(
    "--size", type=click.IntRange(min=1), default=None, help="Tree size (default: latest)."
)
@region_option
@home_option
@clean_errors
def prove(index: int, size: int | None, region: str, home: str) -> None:
    """Print a C2SP tlog-proof receipt that entry INDEX is in the log."""
    seal, audit = _open(home, region)
    with seal:
        if size is None:
            note = audit.checkpoint()
        else:
            kept = dict(audit.storage.checkpoints())
            if size not in kept:
                raise InvalidRequest(f"no checkpoint was signed at size {size}", param="size")
            note = kept[size]
        tree_size = int(note.split("\n")[1])
        if index >= tree_size:
            raise InvalidRequest(
                f"index {index} is not below the tree size {tree_size}", param="index"
            )
        click.echo(
            make_receipt(index, audit.tree.inclusion_proof(index, tree_size), note), nl=False
        )


@audit_group.command("export")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Directory to write.")
@region_option
@home_option
@clean_errors
def export(out: str, region: str, home: str) -> None:
    """Write the log as C2SP tlog-tiles (tiles, entry bundles, checkpoint) under --out."""
    seal, audit = _open(home, region)
    with seal:
        note = audit.checkpoint()
        written = export_tiles(audit.tree, note, Path(out))
    click.echo(f"wrote {written} files for {note.split(chr(10))[1]} entries to {out}")


@audit_group.command("vkey")
@region_option
@home_option
@clean_errors
def vkey(region: str, home: str) -> None:
    """Print the checkpoint verifier key in C2SP vkey form."""
    seal, audit = _open(home, region)
    with seal:
        click.echo(audit.verifier.vkey())


@audit_group.command("acknowledge")
@click.option("--reason", required=True, help="What the investigation found (kept in the log).")
@region_option
@home_option
@clean_errors
def acknowledge(reason: str, region: str, home: str) -> None:
    """After investigating a failed start-up check, accept the log as it is (an audit event)."""
    seal, audit = _open(home, region)
    with seal:
        moved = audit.acknowledge_rollback(reason)
    if moved:
        click.echo(f"set aside external checkpoints of sizes {', '.join(map(str, moved))}")
    else:
        click.echo("the log already agrees with its external checkpoints")


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(audit_group)
