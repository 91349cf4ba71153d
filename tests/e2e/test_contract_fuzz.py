"""Property-based contract test over real HTTP: for every operation of the OpenAPI document the
stack serves, schemathesis generates requests and checks every answer against that document —
no 5xx, a documented status code and content type, a body that matches the documented schema.

The requests are valid and invalid ones, some naming what a fresh team really has (an item, a
collection, a share link, a job, an edit session), so the routes are tested beyond their 404s.
Examples per operation are bounded and derandomized: the run is quick and the same every time.

(schemathesis.pytest.from_fixture, the usual way to load a schema from a server a fixture starts,
fails under the pinned pytest 9.2, so each operation runs as a subtest with schemathesis' own
Hypothesis strategies and checks.)
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation, BaseSchema

from galleria.api.docs import openapi_document

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
# Share pages answer browsers with HTML and Accept: application/json with the same as JSON.
PAGE_PREFIX = "/share/"
AS_JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def local_stack(module_stack: Any) -> Any:
    """A stack of its own: the fuzzing queues hundreds of generations, which would keep a shared
    stack's workers busy long after this module, and the tests after it waiting."""
    return module_stack


@pytest.fixture
def api_schema(local_stack: Any) -> BaseSchema:
    """The document as the running stack serves it."""
    return schemathesis.openapi.from_url(f"{local_stack.base_url}/api/v1/openapi.json", timeout=30)


@pytest.fixture
def team_world(make_team: Any) -> tuple[str, dict[str, str]]:
    """A fresh team's key, and path parameters naming things the team has: a public image in a
    collection, shared with downloads allowed, with an export job and an edit session."""
    team = make_team(credits=1_000_000)
    client = team.client
    made = client.post(
        "/api/v1/generate-image", json={"prompt": "A kite over dunes", "model": "local/procedural"}
    )
    assert made.status_code == 200, made.text
    image = made.json()["images"][0]
    item_id = image["galleryId"]
    assert client.patch(f"/api/v1/gallery/{item_id}", json={"visibility": "public"}).status_code == 200
    collection_id = client.post("/api/v1/gallery/collections", json={"name": "Dunes"}).json()["id"]
    client.post(f"/api/v1/gallery/collections/{collection_id}/items", json={"itemIds": [item_id]})
    share = client.post(f"/api/v1/gallery/{item_id}/share", json={"allowDownload": True}).json()
    export = client.post("/api/v1/gallery/exports", json={"itemIds": [item_id]}).json()
    session = client.post(f"/api/v1/gallery/{item_id}/open-in-chat").json()
    team_id, _, rendition, signature = urlsplit(image["url"]).path.split("/")[2:]
    return team.key, {
        "itemId": item_id,
        "collectionId": collection_id,
        "token": share["token"],
        "jobId": export["jobId"],
        "sessionId": session["sessionId"],
        "teamId": team_id,
        "rendition": rendition,
        "signature": signature,
    }


def ordered(schema: BaseSchema) -> list[APIOperation]:
    """Every operation, those that delete last so that the others still find the team's things."""
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the served document describes wrongly
        operations.append(result.ok())
    return sorted(operations, key=lambda operation: operation.method.upper() == "DELETE")


def cases(operation: APIOperation, world: dict[str, str]) -> st.SearchStrategy[Case]:
    """Valid and invalid requests; the same naming the team's things; for share pages, also as JSON."""
    names = {parameter.name for parameter in operation.path_parameters}
    real = {name: value for name, value in world.items() if name in names}
    variants: list[dict[str, Any]] = [{}]
    if real:
        variants.append({"path_parameters": real})
    if operation.path.startswith(PAGE_PREFIX):
        variants.append({"path_parameters": real, "headers": AS_JSON})
    return st.one_of(
        [
            operation.as_strategy(mode, **variant)
            for variant in variants
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )


def fuzz(operation: APIOperation, world: dict[str, str], key: str) -> None:
    @FUZZ
    @given(case=cases(operation, world))
    def answers_as_documented(case: Case) -> None:
        # Negative cases that leave out the security header go without the key (and expect a 401).
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=60)

    answers_as_documented()


def test_every_operation_answers_as_documented(
    api_schema: BaseSchema, team_world: tuple[str, dict[str, str]], subtests: pytest.Subtests
) -> None:
    key, world = team_world
    # The committed document, which test_api_docs keeps in step with every route of the template.
    assert api_schema.raw_schema == json.loads(openapi_document())
    for operation in ordered(api_schema):
        with subtests.test(operation.label):
            fuzz(operation, world, key)
