"""`chatseal policy show | validate | set | approve | reject | diff | history | rollback | test`.

Changing the access policy safely (docs/access.md): validate and test a file, propose it with
`set` (a pending version), have a second security admin or approver `approve` it (the two-person
rule), review with `diff` and `history`, undo with `rollback`. Commands that touch the store act
as `--subject` with `--as-role` (default security-admin) in `--tenant`; `validate` and `test`
need no home. `test` exits 1 on any mismatch, printing one line for each, for CI gates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from chatseal.cli.common import (
    clean_errors,
    cli_principal,
    emit,
    format_option,
    home_option,
    open_seal_for,
    principal_options,
)
from chatseal.errors import InvalidRequest
from chatseal.model import Principal
from chatseal.policy import PolicyVersion, content_hash, load_cases, run_cases, validate

DEFAULT_ROLE = "security-admin"
MAX_POLICY_BYTES = 1_048_576


def acting(
    tenant: str,
    subject: str | None,
    roles: tuple[str, ...],
    purpose: str | None,
    default_role: str = DEFAULT_ROLE,
) -> Principal:
    """The CLI principal with a role suited to the command when none is given."""
    return cli_principal(tenant, subject, roles or (default_role,), purpose)


def read_text(path: str) -> str:
    """A policy file's text (UTF-8, at most 1 MiB)."""
    raw = Path(path).read_bytes()
    if len(raw) > MAX_POLICY_BYTES:
        raise InvalidRequest("a policy file is at most 1 MiB", param="file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("a policy file is UTF-8 text", param="file") from None


def version_doc(version: PolicyVersion) -> dict[str, Any]:
    """A version for output, without its text."""
    return {
        "id": version.id,
        "tenant": version.tenant,
        "status": version.status,
        "author": version.author,
        "created_at": version.created_at,
        "content_hash": version.content_hash,
        "parent": version.parent,
        "approvals": list(version.approvals),
        "activated_at": version.activated_at,
        "note": version.note,
    }


@click.group("policy")
def policy_group() -> None:
    """Access policy: show, validate, test, change (two-person rule) and roll back.

    See docs/access.md for the roles and the default policy.
    """


@policy_group.command("show")
@principal_options
@click.option("--json", "as_json", is_flag=True, help="The version's details and text as JSON.")
@home_option
@clean_errors
def show(
    tenant: str, subject: str | None, as_roles: tuple[str, ...], purpose: str | None,
    as_json: bool, home: str,
) -> None:  # fmt: skip
    """Print the policy in force for a tenant (the shipped default if none was set)."""
    with open_seal_for(home, tenant) as seal:
        version, text = seal.policy_admin.show(acting(tenant, subject, as_roles, purpose), tenant)
    if as_json:
        emit({
            "version": version_doc(version) if version else None,
            "content_hash": content_hash(text),
            "text": text,
        })  # fmt: skip
        return
    click.echo(text, nl=not text.endswith("\n"))


@policy_group.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@clean_errors
def validate_cmd(file: str) -> None:
    """Type-check a policy file against the schema; print its content hash."""
    canonical = validate(read_text(file))
    click.echo(f"valid: {content_hash(canonical)}")


@policy_group.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--note", default="", help="Why (kept with the version).")
@principal_options
@home_option
@clean_errors
def set_cmd(
    file: str, note: str, tenant: str, subject: str | None, as_roles: tuple[str, ...],
    purpose: str | None, home: str,
) -> None:  # fmt: skip
    """Propose a policy file as a new (pending) version; it needs approval to take effect."""
    text = read_text(file)
    with open_seal_for(home, tenant) as seal:
        principal = acting(tenant, subject, as_roles, purpose)
        version = seal.policy_admin.propose(principal, tenant, text, note=note)
    emit(version_doc(version))


def _review(approve: bool) -> Any:
    @click.argument("version")
    @principal_options
    @home_option
    @clean_errors
    def command(
        version: str, tenant: str, subject: str | None, as_roles: tuple[str, ...],
        purpose: str | None, home: str,
    ) -> None:  # fmt: skip
        with open_seal_for(home, tenant) as seal:
            principal = acting(tenant, subject, as_roles, purpose)
            admin = seal.policy_admin
            found = (admin.approve if approve else admin.reject)(principal, tenant, version)
        emit(version_doc(found))

    return command


policy_group.command(
    "approve", help="Approve another person's pending version (active at the last approval)."
)(_review(approve=True))
policy_group.command("reject", help="Reject a pending version.")(_review(approve=False))


@policy_group.command("diff")
@click.argument("old")
@click.argument("new")
@principal_options
@home_option
@clean_errors
def diff_cmd(
    old: str, new: str, tenant: str, subject: str | None, as_roles: tuple[str, ...],
    purpose: str | None, home: str,
) -> None:  # fmt: skip
    """A unified diff from version OLD to version NEW."""
    with open_seal_for(home, tenant) as seal:
        text = seal.policy_admin.diff(acting(tenant, subject, as_roles, purpose), tenant, old, new)
    click.echo(text, nl=False)


@policy_group.command("history")
@principal_options
@format_option
@home_option
@clean_errors
def history(
    tenant: str, subject: str | None, as_roles: tuple[str, ...], purpose: str | None, fmt: str,
    home: str,
) -> None:  # fmt: skip
    """Every version of the tenant's policy, oldest first."""
    with open_seal_for(home, tenant) as seal:
        versions = seal.policy_admin.history(acting(tenant, subject, as_roles, purpose), tenant)
    docs = [version_doc(v) for v in versions]
    if fmt == "table":
        docs = [
            {k: d[k] for k in ("id", "status", "author", "content_hash", "parent")}
            | {"content_hash": d["content_hash"][:16], "approvals": ",".join(d["approvals"])}
            for d in docs
        ]
    emit(docs, fmt)


@policy_group.command("rollback")
@click.argument("version")
@principal_options
@home_option
@clean_errors
def rollback(
    version: str, tenant: str, subject: str | None, as_roles: tuple[str, ...],
    purpose: str | None, home: str,
) -> None:  # fmt: skip
    """Propose a version whose text is exactly VERSION's (it needs approval like any change)."""
    with open_seal_for(home, tenant) as seal:
        principal = acting(tenant, subject, as_roles, purpose)
        found = seal.policy_admin.rollback(principal, tenant, version)
    emit(version_doc(found))


@policy_group.command("test")
@click.argument("cases_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--policy",
    "policy_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Policy file to test (default: the tenant's policy, or the shipped one).",
)
@click.option("--tenant", default=None, help="Test the policy in force for this tenant.")
@click.option("--subject", default=None, help="Subject to read the policy as.")
@click.option("--as-role", "as_roles", multiple=True, help="Role to read it with.")
@home_option
@clean_errors
def test_cmd(
    cases_file: str, policy_file: str | None, tenant: str | None, subject: str | None,
    as_roles: tuple[str, ...], home: str,
) -> None:  # fmt: skip
    """Run request -> expected decision cases; exit 1 and print one line per mismatch."""
    cases = load_cases(cases_file)
    text: str | None = None
    if policy_file is not None:
        text = read_text(policy_file)
    elif tenant is not None:
        with open_seal_for(home, tenant) as seal:
            _, text = seal.policy_admin.show(acting(tenant, subject, as_roles, None), tenant)
    mismatches = run_cases(cases, text)
    for mismatch in mismatches:
        click.echo(f"mismatch: {mismatch.describe()}")
    click.echo(f"{len(cases) - len(mismatches)}/{len(cases)} cases as expected", err=True)
    if mismatches:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add `policy` to the root command."""
    group.add_command(policy_group)
