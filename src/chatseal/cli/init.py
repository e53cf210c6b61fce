"""`chatseal init` and `chatseal migrate`."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, home_option
from chatseal.config import Config
from chatseal.service import initialise_home
from chatseal.store import open_store


@click.command("init")
@home_option
@clean_errors
def init_command(home: str) -> None:
    """Create a ChatSeal home: directory, development root key (0600) and store schema.

    Safe to run twice. The root key file is for development: production keeps its keys in a KMS or
    HSM (CHATSEAL_KEYS=pkcs11:… or transit:…).
    """
    config = Config.load(home)
    done = initialise_home(config)
    for line in done or [f"{config.home} is already initialised"]:
        click.echo(line)


@click.command("migrate")
@home_option
@clean_errors
def migrate_command(home: str) -> None:
    """Bring the store's schema to the version this ChatSeal expects (an explicit step)."""
    config = Config.load(home)
    store = open_store(config.store_url)
    try:
        before = store.schema_version()
        after = store.migrate()
    finally:
        store.close()
    click.echo(f"schema v{before} -> v{after}" if after != before else f"schema is at v{after}")


def register(cli: click.Group) -> None:
    """Add the commands to the root group."""
    cli.add_command(init_command)
    cli.add_command(migrate_command)
