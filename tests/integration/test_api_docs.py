"""The API's OpenAPI document and Swagger UI: served without a key, and in step with the code."""

from __future__ import annotations

import json

from galleria.api.docs import openapi_document
from galleria_cli.openapi import build_document, render


def test_the_committed_document_matches_the_code(stack) -> None:
    # With the stack's environment: the handler modules this imports build their Powertools
    # Metrics and Logger at import, and every later test shares those module objects.
    assert openapi_document() == render(build_document()), "stale: run galleria-openapi"


def test_every_route_of_the_template_is_documented(stack) -> None:
    document = json.loads(openapi_document())
    documented = {
        f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations
    }
    expected = {route.route_key for spec in stack.functions.values() for route in spec.routes}

    assert expected == documented
    assert document["openapi"].startswith("3.") and document["info"]["title"] == "Galleria"
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_document_and_swagger_ui_are_served_without_a_key(stack) -> None:
    spec = stack.request("GET", "/api/v1/openapi.json")
    page = stack.request("GET", "/api/v1/docs")

    assert spec.status == 200 and spec.headers["content-type"].startswith("application/json")
    assert json.loads(spec.body)["paths"]["/api/v1/generate-image"]["post"]
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b"SwaggerUIBundle" in page.body and b"/api/v1/generate-image" in page.body


def test_every_operation_documents_its_errors_as_the_api_answers_them(stack) -> None:
    document = json.loads(openapi_document())
    error = {"$ref": "#/components/schemas/ErrorOut"}

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {code: answer for code, answer in responses.items() if int(code) >= 400}
            assert {"400", "500"} <= set(errors), f"{method} {path}"
            assert all(answer["content"]["application/json"]["schema"] == error for answer in errors.values())
            if operation.get("security") != []:  # takes a key
                assert "401" in errors, f"{method} {path}"
    assert not {"HTTPValidationError", "ResponseValidationError"} & set(document["components"]["schemas"])


def test_the_routes_that_need_no_key_say_so(stack) -> None:
    paths = json.loads(openapi_document())["paths"]

    assert paths["/api/v1/models"]["get"]["security"] == []
    assert paths["/api/v1/public/gallery"]["get"]["security"] == []
    assert paths["/share/{token}"]["get"]["security"] == []
    assert "security" not in paths["/api/v1/account"]["get"]  # the document's default: the key


def test_successes_other_than_200_are_documented(stack) -> None:
    paths = json.loads(openapi_document())["paths"]

    assert set(paths["/api/v1/generate-image"]["post"]["responses"]) >= {"200", "202", "402", "429"}
    assert "201" in paths["/api/v1/gallery/collections"]["post"]["responses"]
    assert "204" in paths["/api/v1/gallery/{itemId}/forever"]["delete"]["responses"]
    assert "302" in paths["/media/{teamId}/{itemId}/{rendition}/{signature}"]["get"]["responses"]
    download = paths["/api/v1/gallery/{itemId}/download"]["get"]["responses"]["200"]["content"]
    assert set(download) == {"image/*", "video/*"}
    assert set(paths["/share/{token}"]["get"]["responses"]["200"]["content"]) == {
        "text/html",
        "application/json",
    }
