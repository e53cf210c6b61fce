"""`chatseal breakglass request | approve | reject | list | revoke` (docs/access.md, Break-glass).

A request names the tenant whose data is needed (`--tenant`), a reason, grantable actions,
optionally conversations, and a duration; two approvers of that tenant, neither the requester,
approve it, and the grant then runs for its duration and ends by itself. The requester may come
from another tenant (`--from-tenant`, a security admin). Every step is an audit event.
"""

from __future__ import annotations

from typing import Any

import click

from chatseal.cli.common import clean_errors, emit, format_option, home_option, open_seal_for
from chatseal.cli.policy import acting
from chatseal.policy import BreakGlassRequest
from chatseal.service.keyops import parse_period


def request_doc(found: BreakGlassRequest, *, reason: bool = True) -> dict[str, Any]:
    """A request for output (the reason only for those who may list the tenant's requests)."""
    doc: dict[str, Any] = {
        "id": found.id,
        "tenant": found.tenant,
        "status": found.status,
        "requester_tenant": found.requester_tenant,
        "requester": found.requester,
        "actions": sorted(found.actions),
        "conversation_ids": sorted(found.conversation_ids),
        "duration": found.duration,
        "created_at": found.created_at,
        "approvals": list(found.approvals),
        "approved_at": found.approved_at,
        "expires_at": found.expires_at,
        "revoked_by": found.revoked_by,
    }
    if reason:
        doc["reason"] = found.reason
    return doc


def _who(func: Any) -> Any:
    """Add --subject, --as-role, --purpose and --home."""
    func = click.option("--purpose", default=None, help="Declared purpose (default: operations).")(
        func
    )
    func = click.option("--as-role", "as_roles", multiple=True, help="Role to act with.")(func)
    func = click.option("--subject", default=None, help="Subject to act as (default cli:<user>).")(
        func
    )
    return home_option(func)


tenant_option = click.option("--tenant", required=True, help="The tenant whose data it is.")


@click.group("breakglass")
def breakglass_group() -> None:
    """Break-glass: time-boxed, scope-limited access approved by two people."""


@breakglass_group.command("request")
@tenant_option
@click.option("--from-tenant", default=None, help="The requester's tenant (default: --tenant).")
@click.option("--reason", required=True, help="Why (stored sealed; never in the audit log).")
@click.option("--action", "actions", multiple=True, required=True, help="A grantable action.")
@click.option("--conversation", "conversations", multiple=True, help="Limit to a conversation.")
@click.option("--duration", default="1h", show_default=True, help="e.g. 30m, 1h, 3600s.")
@_who
@clean_errors
def request(
    tenant: str, from_tenant: str | None, reason: str, actions: tuple[str, ...],
    conversations: tuple[str, ...], duration: str, subject: str | None,
    as_roles: tuple[str, ...], purpose: str | None, home: str,
) -> None:  # fmt: skip
    """File a request (default role security-admin); it grants nothing until approved."""
    principal = acting(from_tenant or tenant, subject, as_roles, purpose)
    seconds = parse_period(duration)
    with open_seal_for(home, tenant) as seal:
        filed = seal.policy_admin.breakglass.request(
            principal,
            tenant,
            reason=reason,
            actions=actions,
            duration=seconds,
            conversation_ids=conversations,
        )
    emit(request_doc(filed))


def _review(step: str) -> Any:
    @click.argument("request_id")
    @tenant_option
    @_who
    @clean_errors
    def command(
        request_id: str, tenant: str, subject: str | None, as_roles: tuple[str, ...],
        purpose: str | None, home: str,
    ) -> None:  # fmt: skip
        default_role = "approver" if step in {"approve", "reject"} else "security-admin"
        principal = acting(tenant, subject, as_roles, purpose, default_role)
        with open_seal_for(home, tenant) as seal:
            book = seal.policy_admin.breakglass
            found = getattr(book, step)(principal, tenant, request_id)
        emit(request_doc(found))

    return command


breakglass_group.command(
    "approve", help="Approve a request (default role approver); the second approval grants it."
)(_review("approve"))
breakglass_group.command("reject", help="Reject a pending request.")(_review("reject"))
breakglass_group.command(
    "revoke", help="End a request or grant now (its requester, an approver or a security admin)."
)(_review("revoke"))


@breakglass_group.command("list")
@tenant_option
@click.option("--from-tenant", default=None, help="Your tenant, if not --tenant.")
@format_option
@_who
@clean_errors
def list_cmd(
    tenant: str, from_tenant: str | None, fmt: str, subject: str | None,
    as_roles: tuple[str, ...], purpose: str | None, home: str,
) -> None:  # fmt: skip
    """Requests and grants of a tenant (one's own only, for others)."""
    principal = acting(from_tenant or tenant, subject, as_roles, purpose)
    with open_seal_for(home, tenant) as seal:
        found = seal.policy_admin.breakglass.list(principal, tenant)
    docs = [request_doc(r) for r in found]
    if fmt == "table":
        docs = [
            {k: d[k] for k in ("id", "status", "requester", "expires_at")}
            | {"actions": ",".join(d["actions"]), "approvals": ",".join(d["approvals"])}
            for d in docs
        ]
    emit(docs, fmt)


def register(group: click.Group) -> None:
    """Add `breakglass` to the root command."""
    group.add_command(breakglass_group)
