"""`chatseal erase --tenant T --subject S`: the right to erasure, with a signed receipt."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, emit, home_option, open_seal_for


@click.command("erase")
@click.option("--tenant", required=True, help="Tenant name.")
@click.option("--subject", required=True, help="The end user's subject, as their token names it.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@home_option
@clean_errors
def erase(tenant: str, subject: str, yes: bool, home: str) -> None:
    """Destroy every conversation SUBJECT owns in TENANT; prints the signed receipt as JSON.

    Conversations under a legal hold are kept and counted as withheld.
    """
    if not yes and not click.confirm(
        "Destroy every conversation of this subject for good?", err=True
    ):
        raise click.Abort
    with open_seal_for(home, tenant) as seal:
        emit(seal.erasure.erase(tenant, subject).to_dict())


def register(cli: click.Group) -> None:
    """Add the command to the root."""
    cli.add_command(erase)
