"""`chatseal`: the root command; each command group has its own module with `register(group)`."""

from __future__ import annotations

import importlib
import os

import click

from chatseal import __version__

# Modules under chatseal.cli that add commands to the root group, in --help order.
COMMAND_MODULES = [
    "init",
    "tenant",
    "conversations",
    "items",
    "redact",
    "retention",
    "erase",
    "audit",
    "serve",
    "token",
    "client",
    "keys",
    "policy",
    "breakglass",
    "regions",
    "witness",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="chatseal")
@click.option(
    "--home",
    default=None,
    type=click.Path(file_okay=False),
    help="ChatSeal home directory for every subcommand (or CHATSEAL_HOME; default ./.chatseal).",
)
def cli(home: str | None) -> None:
    """ChatSeal: a secure store for AI chat histories.

    Every message is sealed under per-tenant keys; see README.md for the quick start.
    """
    if home is not None:
        # Subcommands read --home from CHATSEAL_HOME when not given their own.
        os.environ["CHATSEAL_HOME"] = home


for _name in COMMAND_MODULES:
    importlib.import_module(f"chatseal.cli.{_name}").register(cli)


def main() -> None:
    """Console entry point."""
    cli(prog_name="chatseal")
