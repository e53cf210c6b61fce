"""`policy test CASES_FILE`: loading TOML/JSON cases and reporting mismatches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.errors import InvalidRequest
from chatseal.policy import default_policy_text, load_cases, parse_cases, run_cases

CASES = Path(__file__).parent / "data" / "default_cases.toml"


def test_shipped_example_cases_pass() -> None:
    """Every example case holds under the default policy."""
    cases = load_cases(CASES)
    assert len(cases) == 9
    assert run_cases(cases) == []


def test_a_policy_change_is_caught_by_the_cases() -> None:
    """A weakened policy fails the cases, naming the case and both decisions."""
    weakened = default_policy_text().replace('resource.classification != "restricted"', "true")
    mismatches = run_cases(load_cases(CASES), weakened)
    assert [m.case.name for m in mismatches] == ["support never reads restricted"]
    line = mismatches[0].describe()
    assert "expected deny, got allow" in line
    assert "support-purpose" in line


def test_json_cases_and_visibility_mismatch(tmp_path: Path) -> None:
    """A JSON file works too, and a wrong 403/404 expectation is a mismatch."""
    case = {
        "name": "other user",
        "action": "conversation.read",
        "expect": "deny",
        "visible": True,
        "principal": {"tenant": "acme", "subject": "bob", "roles": ["user"]},
        "resource": {"type": "Conversation", "tenant": "acme", "id": "c", "owner": "alice"},
    }
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"case": [case]}))
    mismatches = run_cases(load_cases(path))
    assert len(mismatches) == 1
    assert "visible=True" in mismatches[0].describe()


@pytest.mark.parametrize(
    "document",
    [
        {"case": "nope"},
        {"case": [{"expect": "maybe"}]},
        {"case": [{"expect": "allow", "action": "x", "principal": "p"}]},
        {"case": [{"expect": "allow", "action": "x", "visible": "yes"}]},
        {
            "case": [
                {
                    "expect": "allow",
                    "action": "x",
                    "principal": {"tenant": "a", "subject": "s"},
                    "resource": {"type": "Spaceship", "tenant": "a"},
                }
            ]
        },
    ],
)
def test_malformed_cases_are_invalid_requests(document: object) -> None:
    """Bad shapes raise InvalidRequest naming the case, not a traceback."""
    with pytest.raises(InvalidRequest):
        parse_cases(document)


def test_unreadable_file_is_an_invalid_request(tmp_path: Path) -> None:
    """A missing or malformed file raises InvalidRequest."""
    with pytest.raises(InvalidRequest):
        load_cases(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[case]\n")
    with pytest.raises(InvalidRequest):
        load_cases(bad)
