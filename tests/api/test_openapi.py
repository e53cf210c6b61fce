"""`/openapi.json` is complete and true: it lists exactly the app's routes, and schemathesis finds
no 5xx and no answer that breaks it, on every operation."""

from __future__ import annotations

import itertools
import os

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.routing import Route

from chatseal.api.app import routes
from chatseal.api.openapi import openapi_spec

from .conftest import Live

SCHEMA = schemathesis.openapi.from_dict(openapi_spec())
_turn = itertools.count()
# Small in CI (the whole API suite stays well under 3 minutes); raise it for a deeper local hunt.
EXAMPLES = int(os.environ.get("CHATSEAL_SCHEMATHESIS_EXAMPLES", "25"))


def test_document_lists_exactly_the_routes(live: Live) -> None:
    """Every route and method of the app is in the document, and nothing else is."""
    served = httpx.get(live.url + "/openapi.json").json()
    assert served == openapi_spec()
    documented = {
        (path, method.upper())
        for path, ops in served["paths"].items()
        for method in ops
        if method != "parameters"
    }
    actual = {
        (route.path, method)
        for route in routes()
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert documented == actual


def _real_ids(live: Live, token: str) -> tuple[str, str]:
    """A fresh conversation with one item, so half the cases reach the 2xx paths."""
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        live.url + "/v1/conversations",
        json={"items": [{"role": "user", "content": "x"}]},
        headers=headers,
    )
    conv_id = created.json()["id"]
    item_id = httpx.get(f"{live.url}/v1/conversations/{conv_id}/items", headers=headers).json()[
        "data"
    ][0]["id"]
    return conv_id, item_id


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis(case: schemathesis.Case, live: Live) -> None:
    """No 5xx, and every answer matches the documented status codes, headers and schemas."""
    token = live.token(roles=("user",))
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.path_parameters and not negative and next(_turn) % 2 == 0:
        conv_id, item_id = _real_ids(live, token)
        case.path_parameters["conversation_id"] = conv_id
        if "item_id" in case.path_parameters:
            case.path_parameters["item_id"] = item_id
    headers = dict(case.headers or {})
    if case.operation.path != "/oauth/token" and not (negative and "Authorization" in headers):
        headers["Authorization"] = f"Bearer {token}"
    response = case.call(base_url=live.url, headers=headers)
    assert response.status_code < 500
    case.validate_response(
        response,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance,
            schemathesis.checks.response_headers_conformance,
            schemathesis.checks.response_schema_conformance,
            schemathesis.checks.negative_data_rejection,
        ],
    )
