"""Route selection: the most specific HTTP API route wins, as in API Gateway."""

from __future__ import annotations

import pytest

from galleria_local.functions import HttpRoute
from galleria_local.routes import RouteTable


def _table(*route_keys: str) -> RouteTable:
    routes = []
    for route_key in route_keys:
        method, _, path = route_key.partition(" ")
        routes.append(HttpRoute(function_id=route_key, method=method, path=path or "$default"))
    return RouteTable(routes)


# API Gateway's own example (HTTP API "Working with routes"), plus variables and greedy prefixes.
TABLE = _table(
    "GET /pets/dog/1",
    "GET /pets/dog/{id}",
    "GET /pets/{type}/1",
    "GET /pets/{proxy+}",
    "ANY /{proxy+}",
    "POST /pets/{type}/{id}",
    "ANY /pets/{type}/{id}",
    "GET /api/v1/gallery/{itemId}",
    "GET /api/v1/gallery/{itemId}/download",
)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{type}/1", {"type": "cat"}),
        ("GET", "/pets/cat/2", "ANY /pets/{type}/{id}", {"type": "cat", "id": "2"}),
        ("POST", "/pets/cat/2", "POST /pets/{type}/{id}", {"type": "cat", "id": "2"}),
        ("GET", "/pets/cat/2/toys", "GET /pets/{proxy+}", {"proxy": "cat/2/toys"}),
        ("POST", "/pets/cat", "ANY /{proxy+}", {"proxy": "pets/cat"}),
        ("GET", "/api/v1/gallery/gal_1", "GET /api/v1/gallery/{itemId}", {"itemId": "gal_1"}),
        (
            "GET",
            "/api/v1/gallery/gal_1/download",
            "GET /api/v1/gallery/{itemId}/download",
            {"itemId": "gal_1"},
        ),
        ("GET", "/api/v1/gallery/a%20b", "GET /api/v1/gallery/{itemId}", {"itemId": "a b"}),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, route_key: str, parameters: dict[str, str]
) -> None:
    match = TABLE.match(method, path)

    assert match is not None
    assert match.route.function_id == route_key
    assert match.path_parameters == parameters


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/gallery"),  # a variable needs a segment
        ("GET", "/api/v1/gallery/"),  # ... that is not empty
        ("DELETE", "/api/v1/gallery/gal_1"),  # no route for the method
        ("GET", "/api/v1/gallery/gal_1/download/extra"),
    ],
)
def test_paths_without_a_route_do_not_match(method: str, path: str) -> None:
    assert (
        _table("GET /api/v1/gallery/{itemId}", "GET /api/v1/gallery/{itemId}/download").match(method, path)
        is None
    )


def test_the_default_route_catches_what_nothing_else_matches() -> None:
    table = _table("GET /known", "$default")

    known, other = table.match("GET", "/known"), table.match("PUT", "/elsewhere")

    assert known is not None and known.route.route_key == "GET /known"
    assert other is not None and other.route.route_key == "$default"
    assert other.path_parameters == {}


def test_a_trailing_slash_goes_to_the_route_without_it_as_api_gateway_sends_it() -> None:
    table = _table("GET /app", "GET /app/{file}", "GET /api/v1/gallery/{itemId}")

    app, item, file = (
        table.match("GET", path) for path in ("/app/", "/api/v1/gallery/gal_1/", "/app/app.js")
    )

    assert app is not None and app.route.function_id == "GET /app"
    assert item is not None and item.path_parameters == {"itemId": "gal_1"}
    assert file is not None and file.route.function_id == "GET /app/{file}"
    assert table.match("GET", "/nothing/") is None
