"""Policy text: canonical form, content hash, validation, and slicing by action."""

from __future__ import annotations

import hashlib

import pytest

from chatseal.errors import InvalidRequest
from chatseal.policy import canonical_text, content_hash, default_policy_text, validate
from chatseal.policy.compiler import action_ancestors, compile_policy, format_policy, schema_text


def test_canonical_text_normalises_only_ignorable_whitespace() -> None:
    """CRLF, trailing spaces and blank edges vanish; comments and inner layout stay."""
    text = "\r\n// keep me  \r\npermit (principal, action, resource);   \r\n\r\n"
    assert canonical_text(text) == "// keep me\npermit (principal, action, resource);\n"


def test_content_hash_is_sha256_of_canonical_text() -> None:
    """The version hash is the hex SHA-256 of the canonical UTF-8 text."""
    text = "permit (principal, action, resource);"
    assert content_hash(text) == hashlib.sha256((text + "\n").encode()).hexdigest()
    assert content_hash(text) != content_hash("forbid (principal, action, resource);")


def test_default_policy_validates() -> None:
    """The shipped policy passes the validator against the shipped schema."""
    assert validate(default_policy_text()) == default_policy_text()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("permit (principal, action, resource", "parse error"),
        ("permit (principal, action, resource) when { resource.nope == 1 };", "nope"),
        ('permit (principal, action == ChatSeal::Action::"fly", resource);', "fly"),
        ("permit (principal, action, resource) when { principal.roles == 3 };", "not valid"),
    ],
)
def test_invalid_policies_are_rejected_with_the_validators_message(
    text: str, fragment: str
) -> None:
    """Syntax errors, unknown attributes and actions and type errors raise InvalidRequest."""
    with pytest.raises(InvalidRequest) as caught:
        validate(text)
    assert fragment in caught.value.message
    assert caught.value.param == "policy"


def test_oversized_policy_is_rejected() -> None:
    """Policy text has a size limit, checked before Cedar sees it."""
    with pytest.raises(InvalidRequest):
        validate("// " + "x" * 300_000 + "\npermit (principal, action, resource);")


def test_action_ancestors_follow_the_schema_groups() -> None:
    """Each action lists its groups; plain actions have none."""
    ancestors = action_ancestors(schema_text())
    assert ancestors["conversation.read"] == {"content", "grantable"}
    assert ancestors["keys.destroy"] == frozenset()
    assert action_ancestors("namespace X {}") == {}


def test_slices_keep_only_policies_that_can_apply() -> None:
    """Key actions see only the tenant guard and the key-admin permit; no hierarchy is needed."""
    compiled = compile_policy(default_policy_text())
    assert len(compiled.for_action("keys.rotate")) == 2
    assert len(compiled.for_action("item.append")) < len(compiled.policy_set)
    assert not compiled.needs_action_entities


def test_a_condition_naming_a_group_keeps_the_action_hierarchy() -> None:
    """When a condition tests an action group, requests carry the schema's action entities."""
    text = 'permit (principal, action, resource) when { action in ChatSeal::Action::"content" };'
    assert compile_policy(text).needs_action_entities


def test_format_policy_keeps_the_meaning() -> None:
    """Cedar's formatter re-lays out the text; the result still validates to the same rules."""
    messy = 'permit(principal,action,resource)when{principal.roles.contains("user")};'
    formatted = format_policy(messy)
    assert formatted != canonical_text(messy)
    assert validate(formatted) == formatted
    with pytest.raises(InvalidRequest):
        format_policy("permit (")


def test_package_exports_are_complete() -> None:
    """`chatseal.policy.__all__` has no duplicates and lists only names the package has."""
    import chatseal.policy as package

    assert len(package.__all__) == len(set(package.__all__))
    assert all(hasattr(package, name) for name in package.__all__)
