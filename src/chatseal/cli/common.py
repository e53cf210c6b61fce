"""What every command shares: the home option, opening ChatSeal (the tenant's region's, when the
config declares regions), printing, and clean failures."""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import click

from chatseal.errors import ChatSealError
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.regions import RegionRouter, has_regions

P = ParamSpec("P")
R = TypeVar("R")

home_option = click.option(
    "--home",
    envvar="CHATSEAL_HOME",
    default=".chatseal",
    show_default=True,
    type=click.Path(file_okay=False),
    help="ChatSeal home directory (or CHATSEAL_HOME).",
)


def clean_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ChatSealError as exc:
            param = f" ({exc.param})" if exc.param else ""
            click.echo(f"chatseal: error: {exc.message}{param}", err=True)
            sys.exit(1)
        except (OSError, ValueError) as exc:
            click.echo(f"chatseal: error: {exc.__class__.__name__}: {exc}", err=True)
            sys.exit(1)

    return wrapper


def open_seal(home: str) -> ChatSeal:
    """Open the ChatSeal of a home that `chatseal init` created (its default region's)."""
    return ChatSeal.open(home)


@contextmanager
def region_router(seal: ChatSeal) -> Iterator[RegionRouter | None]:
    """A router over the default region's open `seal` when the config declares other regions,
    else None; the regions it opens are closed on exit (`seal` stays the caller's to close)."""
    if seal.config is None or not has_regions(seal.config):
        yield None
        return
    with RegionRouter(seal.config, default=seal) as router:
        yield router


@contextmanager
def open_seal_for(home: str, tenant: str) -> Iterator[ChatSeal]:
    """Open the ChatSeal of the region `tenant` is pinned to, for a command on its data.

    With only the default region this is `open_seal`; with regions, the default region's ChatSeal
    opens first (its config says which regions exist) and the router finds the tenant's region,
    so a tenant's rows, keys and events stay in its own region's store, key backend and log.
    """
    with open_seal(home) as seal, region_router(seal) as router:
        yield seal if router is None else router.seal_for(tenant)


def cli_principal(
    tenant: str, subject: str | None, roles: tuple[str, ...], purpose: str | None
) -> Principal:
    """The principal a CLI command acts as: by default the operator as the tenant's agent, with
    the purpose `operations` (the policy lets agents work on the tenant's conversations for a
    declared purpose; `--as-role` and `--subject` act as someone else)."""
    who = subject or f"cli:{getpass.getuser()}"
    return Principal(
        tenant=tenant,
        subject=who,
        roles=frozenset(roles or ("agent",)),
        purpose=purpose or "operations",
        credential_kind="local",
    )


def principal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --tenant, --subject, --as-role and --purpose to a command."""
    func = click.option("--purpose", default=None, help="Declared purpose (default: operations).")(
        func
    )
    func = click.option(
        "--as-role",
        "as_roles",
        multiple=True,
        help="Role to act with (repeatable; default agent).",
    )(func)
    func = click.option("--subject", default=None, help="Subject to act as (default cli:<user>).")(
        func
    )
    return click.option("--tenant", required=True, help="Tenant name.")(func)


def emit(value: Any, fmt: str = "json") -> None:
    """Print a JSON document (or a simple table) on stdout."""
    if fmt == "table" and isinstance(value, list) and value and isinstance(value[0], dict):
        columns = list(value[0].keys())
        widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in value)) for c in columns}
        click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
        for row in value:
            click.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
        return
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table"]),
    default="json",
    show_default=True,
    help="Output format.",
)
