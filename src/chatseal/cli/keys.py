"""`chatseal keys rotate | rewrap | retire | destroy | shred | status | reencrypt`.

Each command opens the home, acts as a principal with the key-admin role (`--as-role` to act as
another) and calls one `KeyOps` method. Output is JSON (or `--format table`); errors are one line.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from chatseal.cli.common import clean_errors, emit, home_option, open_seal, open_seal_for
from chatseal.model import Principal
from chatseal.service.access import ANY_TENANT, KEY_ADMIN
from chatseal.service.keyops import KeyOps, RewrapProgress


def _principal(tenant: str | None, subject: str | None, roles: tuple[str, ...]) -> Principal:
    """The operator as a key admin of one tenant (or of every tenant, for `status`)."""
    return Principal(
        tenant=tenant or ANY_TENANT,
        subject=subject or f"cli:{getpass.getuser()}",
        roles=frozenset(roles or (KEY_ADMIN,)),
        purpose="key-management",
        credential_kind="cli",
    )


def _actor(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --as-role, --subject and --home."""
    func = click.option(
        "--as-role", "as_roles", multiple=True, help="Role to act with (default key-admin)."
    )(func)
    func = click.option("--subject", default=None, help="Subject to act as (default cli:<user>).")(
        func
    )
    return home_option(func)


def _output(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --format and its --json shorthand."""
    func = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["json", "table"]),
        default=None,
        help="Output format (default json; table for status).",
    )(func)


tenant_option = click.option("--tenant", required=True, help="Tenant name.")


@contextmanager
def _ops(home: str, tenant: str | None) -> Iterator[KeyOps]:
    """The key operations of the tenant's region (of the default region without a tenant)."""
    if tenant is None:
        with open_seal(home) as seal:
            yield seal.key_ops
        return
    with open_seal_for(home, tenant) as seal:
        yield seal.key_ops


def _show(value: dict[str, Any], fmt: str | None, as_json: bool) -> None:
    chosen = "json" if as_json else fmt or "json"
    if chosen == "json":
        emit(value)
        return
    flat = {k: _cell(v) for k, v in value.items()}
    emit([flat], chosen)


def _cell(value: Any) -> Any:
    """One table cell: versions as `v1:destroyed v2:active`, other nesting as compact text."""
    if isinstance(value, list) and all(isinstance(v, dict) and "version" in v for v in value):
        return " ".join(f"v{v['version']}:{v.get('state', '')}" for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return value


Bar = Callable[[RewrapProgress], None]


def _with_bar(
    home: str, tenant: str, quiet: bool, job: Callable[[KeyOps, Bar | None], dict[str, Any]]
) -> dict[str, Any]:
    """Run a batched key job with a progress bar on stderr (none with --quiet)."""
    update, close = _bar_callback()
    try:
        with _ops(home, tenant) as ops:
            return job(ops, None if quiet else update)
    finally:
        close()


def _bar_callback() -> tuple[Callable[[RewrapProgress], None], Callable[[], None]]:
    """A click progress bar on stderr, created once the job knows its total."""
    state: dict[str, Any] = {}

    def update(progress: RewrapProgress) -> None:
        bar: Any = state.get("bar")
        if bar is None:
            bar = click.progressbar(
                length=max(progress.total, 1),
                label=f"rewrap {progress.tenant} -> v{progress.target_version}",
                file=sys.stderr,
                show_pos=True,
            )
            bar.__enter__()
            state["bar"] = bar
        bar.length = max(bar.length or 0, progress.total)
        bar.update(progress.batch)

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, close


@click.group("keys")
def keys_group() -> None:
    """Key lifecycle: rotate, rewrap, retire, destroy, shred epochs, status, reencrypt.

    Needs the key-admin role; never shows content. Destroying a tenant's whole key is
    'chatseal tenant delete'. See docs/keys.md.
    """


@keys_group.command("rotate")
@tenant_option
@_output
@_actor
@clean_errors
def rotate(
    tenant: str, fmt: str | None, as_json: bool, as_roles: tuple[str, ...], subject: str | None,
    home: str,
) -> None:  # fmt: skip
    """Make a new KEK version primary (then run 'keys rewrap')."""
    with _ops(home, tenant) as ops:
        info = ops.rotate(_principal(tenant, subject, as_roles), tenant)
    _show({**info.to_dict(), "tenant": tenant}, fmt, as_json)


@keys_group.command("rewrap")
@tenant_option
@click.option("--batch-size", default=2000, show_default=True, help="Data keys per batch.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_output
@_actor
@clean_errors
def rewrap(
    tenant: str, batch_size: int, quiet: bool, fmt: str | None, as_json: bool,
    as_roles: tuple[str, ...], subject: str | None, home: str,
) -> None:  # fmt: skip
    """Move every data key to the primary version; safe to kill and run again."""
    who = _principal(tenant, subject, as_roles)
    result = _with_bar(
        home,
        tenant,
        quiet,
        lambda ops, bar: ops.rewrap(who, tenant, batch_size=batch_size, progress=bar),
    )
    _show(result, fmt, as_json)


@keys_group.command("retire")
@tenant_option
@click.option("--min-version", type=int, required=True, help="Lowest version still readable.")
@click.option("--force", is_flag=True, help="Retire even if data keys are still below it.")
@_output
@_actor
@clean_errors
def retire(
    tenant: str, min_version: int, force: bool, fmt: str | None, as_json: bool,
    as_roles: tuple[str, ...], subject: str | None, home: str,
) -> None:  # fmt: skip
    """Refuse to unwrap under versions below --min-version (fails closed)."""
    with _ops(home, tenant) as ops:
        info = ops.retire(_principal(tenant, subject, as_roles), tenant, min_version, force=force)
    _show({**info.to_dict(), "tenant": tenant}, fmt, as_json)


@keys_group.command("destroy")
@tenant_option
@click.option("--version", "version", type=int, required=True, help="KEK version to destroy.")
@click.option("--force", is_flag=True, help="Destroy even if data keys are still wrapped by it.")
@_output
@_actor
@clean_errors
def destroy(
    tenant: str, version: int, force: bool, fmt: str | None, as_json: bool,
    as_roles: tuple[str, ...], subject: str | None, home: str,
) -> None:  # fmt: skip
    """Destroy one KEK version after its rewrap (the whole key: 'chatseal tenant delete')."""
    with _ops(home, tenant) as ops:
        info = ops.destroy(_principal(tenant, subject, as_roles), tenant, version, force=force)
    _show({**info.to_dict(), "tenant": tenant}, fmt, as_json)


@keys_group.command("shred")
@tenant_option
@click.option("--batch-size", default=2000, show_default=True, help="Data keys per batch.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_output
@_actor
@clean_errors
def shred(
    tenant: str, batch_size: int, quiet: bool, fmt: str | None, as_json: bool,
    as_roles: tuple[str, ...], subject: str | None, home: str,
) -> None:  # fmt: skip
    """Shred epoch: rotate, rewrap every survivor, destroy every older version."""
    who = _principal(tenant, subject, as_roles)
    result = _with_bar(
        home,
        tenant,
        quiet,
        lambda ops, bar: ops.shred(who, tenant, batch_size=batch_size, progress=bar),
    )
    _show(result, fmt, as_json)


def _status_rows(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "tenant": t["tenant"],
            "backend": t["backend"],
            "primary": f"v{t['primary_version']}",
            "min": f"v{t['min_decryption_version']}",
            "age_days": t["primary_age_days"],
            "period": t["rotation_period"],
            "overdue": "OVERDUE" if t["overdue"] else "ok",
            "data_keys": " ".join(
                f"v{v['version']}:{v['data_keys']}({v['state']})" for v in t["versions"]
            ),
            "rewrap_pending": t["rewrap"]["pending"],
        }
        for t in report
    ]


@keys_group.command("status")
@click.option("--tenant", default=None, help="Tenant name (default: every tenant).")
@_output
@_actor
@clean_errors
def status(
    tenant: str | None, fmt: str | None, as_json: bool, as_roles: tuple[str, ...],
    subject: str | None, home: str,
) -> None:  # fmt: skip
    """Versions, ages, data keys per version, overdue rotation and rewrap progress."""
    with _ops(home, tenant) as ops:
        report = ops.status(_principal(tenant, subject, as_roles), tenant)
    chosen = "json" if as_json else fmt or "table"
    emit(report if chosen == "json" else _status_rows(report), chosen)
    if chosen == "table" and not report:
        click.echo("no tenants", err=True)


@keys_group.command("reencrypt")
@click.argument("conversation_id")
@tenant_option
@_output
@_actor
@clean_errors
def reencrypt(
    conversation_id: str, tenant: str, fmt: str | None, as_json: bool,
    as_roles: tuple[str, ...], subject: str | None, home: str,
) -> None:  # fmt: skip
    """Give CONVERSATION_ID new data keys and re-seal its items (suspected DEK compromise)."""
    with _ops(home, tenant) as ops:
        result = ops.reencrypt(_principal(tenant, subject, as_roles), tenant, conversation_id)
    _show(result, fmt, as_json)


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(keys_group)
