"""Every route whose path names an id answers that id the same way: a plain id of the right kind
that names nothing (unknown, or mistyped) is a 404, anything else (another kind's prefix, quotes,
path characters) is a 400 before any lookup. The routes come from the committed OpenAPI document,
so a new route is covered as soon as it exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "layers" / "shared" / "galleria" / "api" / "openapi.json"
UNKNOWN_ITEM = "gal_01jd0000000000000000000000"
PREFIXES = {"itemId": "gal", "collectionId": "col", "jobId": "job", "sessionId": "ses"}
# A body each route accepts, so that only the id decides the answer.
BODIES = {
    "PATCH /api/v1/gallery/collections/{collectionId}": {"name": "Renamed"},
    "POST /api/v1/gallery/collections/{collectionId}/items": {"itemIds": ["gal_01jd0000000000000000000000"]},
    "DELETE /api/v1/gallery/collections/{collectionId}/items": {
        "itemIds": ["gal_01jd0000000000000000000000"]
    },
    "POST /api/v1/gallery/collections/{collectionId}/share": {},
    "PATCH /api/v1/gallery/collections/{collectionId}/share": {"allowDownload": True},
    "PATCH /api/v1/gallery/{itemId}": {"rating": 3},
    "POST /api/v1/gallery/{itemId}/edit": {"prompt": "Add a boat", "model": "local/procedural"},
    "POST /api/v1/gallery/{itemId}/share": {},
    "PATCH /api/v1/gallery/{itemId}/share": {"allowDownload": True},
    "POST /api/v1/gallery/{itemId}/split": {"rows": 2, "cols": 2},
}


def _routes_naming_an_id() -> list[tuple[str, str, str, bool]]:
    """(method, path template, id parameter, takes a body) of every keyed route with one id."""
    document = json.loads(OPENAPI.read_text())
    routes = []
    for path, operations in document["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        if not path.startswith("/api/v1/") or len(names) != 1 or names[0] not in PREFIXES:
            continue
        for method, operation in operations.items():
            routes.append((method.upper(), path, names[0], "requestBody" in operation))
    return routes


ROUTES = _routes_naming_an_id()


def _call(stack, team, method: str, template: str, name: str, value: str):
    body = BODIES.get(f"{method} {template}")
    path = template.replace(f"{{{name}}}", quote(value, safe=""))
    return stack.request(method, path, key=team.key, json_body=body)


def test_every_route_with_a_body_has_one_here() -> None:
    needing = {f"{method} {path}" for method, path, _, has_body in ROUTES if has_body}
    assert needing == set(BODIES)
    assert len(ROUTES) >= 25  # item, collection, job and session routes


@pytest.mark.parametrize(("method", "template", "name"), [route[:3] for route in ROUTES])
def test_a_plain_id_that_names_nothing_is_404_and_a_malformed_one_400(
    stack, team, method: str, template: str, name: str
) -> None:
    prefix = PREFIXES[name]
    for unknown in (f"{prefix}_01jd0000000000000000000000", f"{prefix}_Mistyped0"):
        response = _call(stack, team, method, template, name, unknown)
        assert (response.status, response.json()["code"]) == (404, "not_found"), (unknown, response.body)
    other_kind = "col" if prefix != "col" else "gal"
    for malformed in (f"{other_kind}_01jd0000000000000000000000", f"{prefix}_x'y", "not-an-id"):
        response = _call(stack, team, method, template, name, malformed)
        assert (response.status, response.json()["code"]) == (400, "invalid_request"), (
            malformed,
            response.body,
        )
