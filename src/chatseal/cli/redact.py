"""`chatseal redact`: redact personal data in text from stdin to stdout, line by line (for
operators and log pipelines)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from chatseal.cli.common import clean_errors, home_option, open_seal_for
from chatseal.errors import InvalidRequest, MissingExtra
from chatseal.service.minimisation import MODES

if TYPE_CHECKING:
    from chatseal.redaction import Redaction


@click.command("redact")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=None,
    help="Replacement mode (default: the tenant's policy for its default tier, else redact).",
)
@click.option(
    "--tenant",
    default=None,
    help="Use this tenant's names list and, for pseudonymize, its stable tokens.",
)
@home_option
@clean_errors
def redact(mode: str | None, tenant: str | None, home: str) -> None:
    """Read text on stdin and write it with personal data replaced on stdout.

    Each line is redacted as it arrives, so the command can sit in a log pipeline. With
    --tenant, pseudonyms are the tenant's own (the same value gets the same token as in its
    stored conversations); the originals are not stored.
    """
    if tenant is None:
        if mode == "pseudonymize":
            raise InvalidRequest(
                "pseudonymize needs --tenant (tokens are per tenant)", param="mode"
            )
        try:
            from chatseal.redaction import Redactor
        except ImportError:
            raise MissingExtra("redaction", "chatseal redact") from None
        _stream(Redactor(mode or "redact").redact_text)
        return
    with open_seal_for(home, tenant) as seal:
        keys = seal.tenant_keys(tenant)
        tier = json.loads(keys.row.settings).get("default_classification", "internal")
        chosen = mode or seal.minimisation.policy(keys.row.settings, tier).redaction
        _stream(seal.minimisation.redactor(keys, chosen).redact_text)


def _stream(redact_text: Callable[[str], Redaction]) -> None:
    out = sys.stdout
    for line in sys.stdin:
        out.write(redact_text(line).text)
        out.flush()


def register(cli: click.Group) -> None:
    """Add the command to the root."""
    cli.add_command(redact)
