"""The bad-input catalogue: every kind of bad request a client can send, on every route it applies to.

Each bad request must get a 4xx (never a 5xx) whose JSON body is ``{"error": <a sentence naming the
field or the reason>, "code": <the contract's code>}``, and must change nothing: no credits charged, no
item, collection, share or variant created, nothing renamed, tagged or trashed.

tests/integration/test_validation.py covers the first generate-image cases (missing/blank/4001-char
prompt, unknown model, bad aspect ratio and the like, a tiny GIF, ``!!!`` as base64, text bytes as
PNG, a truncated JSON body) and the first /gallery paging values (limit=0/101, page=0/abc,
cursor=not-a-cursor); this file does not repeat them.

Where the product answers wrongly, the test is marked ``xfail(strict=True)`` with the exact
answer in its reason, so the suite stays green and the bug stays on record.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from media_samples import image_bytes

from galleria.accounts.rate_limits import RateLimiter
from galleria.config import get_settings
from galleria.domain.teams import Plan

GENERATE = "/api/v1/generate-image"
GALLERY = "/api/v1/gallery"
COLLECTIONS = f"{GALLERY}/collections"
BULK = f"{GALLERY}/bulk"
EXPORTS = f"{GALLERY}/exports"
UPLOADS = f"{GALLERY}/uploads"
ACCOUNT = "/api/v1/account"
INVALID = "invalid_request"
MB = 1024 * 1024
UNKNOWN_ITEM = "gal_01jd0000000000000000000000"
UNKNOWN_COLLECTION = "col_01jd0000000000000000000000"
ITEM_FIELDS = ("prompt", "title", "tags", "favorite", "rating", "visibility", "archived", "collections")


# --- checking answers and state ------------------------------------------------------------------
def refusal_problem(response: Any, status: int, code: str, named: tuple[str, ...] | list[str]) -> str | None:
    """None if ``response`` is the wanted refusal, else what is wrong with it (with the answer)."""
    answer = f"{response.status} {response.body[:300]!r}"
    if response.status != status:
        return f"expected {status} {code}, got {answer}"
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"not a JSON answer: {response.headers.get('content-type')} {answer}"
    try:
        body = response.json()
    except ValueError:
        return f"body is not JSON: {answer}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"no error sentence: {answer}"
    if body.get("code") != code:
        return f"expected code {code}, got {answer}"
    message = body["error"]
    if len(message.split()) < 2 or "Traceback" in message or len(message) > 2000:
        return f"error is not a short human sentence: {answer}"
    missing = [word for word in named if word not in message]
    if missing:
        return f"error does not name {missing}: {answer}"
    return None


def assert_refused(response: Any, status: int, code: str, *named: str) -> None:
    problem = refusal_problem(response, status, code, named)
    assert problem is None, problem


@dataclass(frozen=True)
class Ids:
    item: str
    collection: str


NO_IDS = Ids(UNKNOWN_ITEM, UNKNOWN_COLLECTION)


def state(stack, team, ids: Ids = NO_IDS) -> dict[str, Any]:
    """What a refused request must not change: credits, plan, the gallery's counters, the
    collections, and (when the test has one) the item, its shares and its variants."""
    key = team.key
    account = stack.request("GET", ACCOUNT, key=key).json()
    snapshot: dict[str, Any] = {
        "credits": account["credits"],
        "plan": account["plan"],
        "publicTags": account["publicTags"],
        "facets": stack.request("GET", f"{GALLERY}/facets", key=key).json(),
        "collections": [
            (c["id"], c["name"], c["description"], c["itemCount"])
            for c in stack.request("GET", COLLECTIONS, key=key).json()["collections"]
        ],
    }
    if ids is not NO_IDS:
        detail = stack.request("GET", f"{GALLERY}/{ids.item}", key=key).json()
        snapshot["item"] = {name: detail[name] for name in ITEM_FIELDS}
        snapshot["deletedAt"] = detail["deletedAt"]
        snapshot["variants"] = len(detail["variants"])
        snapshot["shares"] = len(
            stack.request("GET", f"{GALLERY}/{ids.item}/shares", key=key).json()["shares"]
        )
    return snapshot


@pytest.fixture
def ids(stack, team) -> Ids:
    """One generated item and one (empty) collection of ``team``."""
    [item] = stack.make_items(team, 1)
    made = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": "Harbours"})
    assert made.status == 201, made.body
    return Ids(item, made.json()["id"])


# --- the JSON routes, each with a body it accepts ------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    path: str  # may hold {item} and {collection}
    body: Callable[[Ids], dict[str, Any]]
    needs_ids: bool = True

    def call(
        self,
        stack,
        team,
        ids: Ids,
        *,
        override: dict[str, Any] | None = None,
        raw_body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        path = self.path.format(item=ids.item, collection=ids.collection)
        body = {**self.body(ids), **(override or {})}
        return stack.request(
            self.method, path, key=team.key, json_body=body, raw_body=raw_body, headers=headers
        )


ROUTES: dict[str, Route] = {
    "generate-image": Route(
        "POST", GENERATE, lambda i: {"prompt": "A quiet harbour at dawn", "dryRun": True}, needs_ids=False
    ),
    "patch item": Route("PATCH", f"{GALLERY}/{{item}}", lambda i: {"title": "Harbour"}),
    "account": Route("PATCH", ACCOUNT, lambda i: {"publicTags": True}, needs_ids=False),
    "uploads": Route(
        "POST",
        UPLOADS,
        lambda i: {"filename": "harbour.png", "contentType": "image/png", "size": 1024},
        needs_ids=False,
    ),
    "collections create": Route("POST", COLLECTIONS, lambda i: {"name": "Boats"}, needs_ids=False),
    "collections patch": Route("PATCH", f"{COLLECTIONS}/{{collection}}", lambda i: {"name": "Boats"}),
    "collection items": Route("POST", f"{COLLECTIONS}/{{collection}}/items", lambda i: {"itemIds": [i.item]}),
    "bulk delete": Route("POST", f"{BULK}/delete", lambda i: {"itemIds": [i.item]}),
    "bulk tag": Route("POST", f"{BULK}/tag", lambda i: {"itemIds": [i.item], "tags": ["harbour"]}),
    "bulk collect": Route(
        "POST", f"{BULK}/collect", lambda i: {"itemIds": [i.item], "collectionId": i.collection}
    ),
    "bulk download": Route("POST", f"{BULK}/download", lambda i: {"itemIds": [i.item]}),
    "exports": Route("POST", EXPORTS, lambda i: {"itemIds": [i.item]}),
    "share create": Route("POST", f"{GALLERY}/{{item}}/share", lambda i: {"expiresIn": "1d"}),
    "share patch": Route("PATCH", f"{GALLERY}/{{item}}/share", lambda i: {"allowDownload": True}),
    "edit": Route("POST", f"{GALLERY}/{{item}}/edit", lambda i: {"prompt": "Add a red boat"}),
    "split": Route("POST", f"{GALLERY}/{{item}}/split", lambda i: {"rows": 2, "cols": 2}),
}

# Route families, so one test (one stack) covers a function's routes.
FAMILIES = {
    "generation": ["generate-image"],
    "items": ["patch item", "account"],
    "collections": ["collections create", "collections patch", "collection items"],
    "bulk": ["bulk delete", "bulk tag", "bulk collect", "bulk download", "exports"],
    "shares": ["share create", "share patch"],
    "variants": ["edit", "split"],
}


def ids_for(request: pytest.FixtureRequest, names: list[str]) -> Ids:
    return request.getfixturevalue("ids") if any(ROUTES[name].needs_ids for name in names) else NO_IDS


# --- malformed JSON ------------------------------------------------------------------------------
MALFORMED = ['{"name": "x",', "{'name': 'single quotes'}", "{name: 1}", '{"a": 1} trailing', "\ufeff{}", "{"]
NOT_AN_OBJECT = ["[1, 2]", '"a string"', "42", "true"]


def test_malformed_json_is_a_400_on_every_json_route(stack, team, ids) -> None:
    before = state(stack, team, ids)
    problems = []
    for name, route in ROUTES.items():
        for raw in MALFORMED:
            problem = refusal_problem(route.call(stack, team, ids, raw_body=raw), 400, INVALID, ["JSON"])
            if problem:
                problems.append(f"{name} {raw!r}: {problem}")
        for raw in NOT_AN_OBJECT:
            problem = refusal_problem(route.call(stack, team, ids, raw_body=raw), 400, INVALID, ["body"])
            if problem:
                problems.append(f"{name} {raw!r}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            '{"prompt": "x", "seed": ' + "9" * 5000 + "}",
            id="integer-literal-of-5000-digits",
        ),
        pytest.param(
            '{"prompt": "x", "galleryTags": ' + "[" * 5000 + "]" * 5000 + "}",
            id="arrays-nested-5000-deep",
        ),
    ],
)
def test_json_the_parser_cannot_take_is_a_400_not_a_500(stack, team, raw: str) -> None:
    for name in ("generate-image", "collections create"):
        response = ROUTES[name].call(stack, team, NO_IDS, raw_body=raw)
        assert_refused(response, 400, INVALID)
    assert state(stack, team)["credits"] == 1000


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "text/plain",
        "Application/JSON",
        "application/x-www-form-urlencoded",
    ],
)
def test_a_json_body_under_another_content_type_is_accepted_or_refused_clearly(
    stack, team, content_type: str
) -> None:
    response = ROUTES["generate-image"].call(stack, team, NO_IDS, headers={"content-type": content_type})

    if response.status == 200:
        assert response.json()["creditsRequired"] == 5
    else:
        assert 400 <= response.status < 500, (response.status, response.body)
        message = response.json()["error"].lower()
        assert "json" in message or "content-type" in message, response.body
    assert state(stack, team)["credits"] == 1000


# --- wrong types ---------------------------------------------------------------------------------
WRONG_TYPES: dict[str, list[tuple[dict[str, Any], str, str]]] = {
    "generate-image": [
        ({"prompt": ["A", "list"]}, "prompt", "invalid_prompt"),
        ({"prompt": None}, "prompt", "invalid_prompt"),
        ({"prompt": {"text": "x"}}, "prompt", "invalid_prompt"),
        ({"numImages": 1.0}, "numImages", INVALID),
        ({"numImages": True}, "numImages", INVALID),
        ({"seed": 1.5}, "seed", INVALID),
        ({"seed": "42"}, "seed", INVALID),
        ({"dryRun": "true"}, "dryRun", INVALID),
        ({"saveToGallery": 0}, "saveToGallery", INVALID),
        ({"galleryTags": "a,b"}, "galleryTags", INVALID),
        ({"galleryTags": [1, 2]}, "galleryTags", INVALID),
        ({"model": 5}, "model", "invalid_model"),
        ({"model": ["local/procedural"]}, "model", "invalid_model"),
        ({"aspectRatio": 1}, "aspectRatio", INVALID),
        ({"stylePreset": None}, "stylePreset", INVALID),
        ({"sourceImage": 5}, "sourceImage", "invalid_image"),
        ({"sourceImage": {"data": "iVBORw0KGgo="}}, "sourceImage", "invalid_image"),
        ({"sourceItemId": [UNKNOWN_ITEM]}, "sourceItemId", INVALID),
        ({"collectionId": 5}, "collectionId", INVALID),
    ],
    "patch item": [
        ({"tags": "a,b"}, "tags", INVALID),
        ({"tags": [1]}, "tags", INVALID),
        ({"rating": "5"}, "rating", INVALID),
        ({"rating": 2.0}, "rating", INVALID),
        ({"favorite": "yes"}, "favorite", INVALID),
        ({"favorite": 1}, "favorite", INVALID),
        ({"title": 5}, "title", INVALID),
        ({"title": ["x"]}, "title", INVALID),
        ({"visibility": True}, "visibility", INVALID),
        ({"archived": "false"}, "archived", INVALID),
        ({"favorite": None}, "favorite", INVALID),
    ],
    "account": [({"publicTags": "yes"}, "publicTags", INVALID), ({"publicTags": 1}, "publicTags", INVALID)],
    "collections create": [
        ({"name": 5}, "name", INVALID),
        ({"name": None}, "name", INVALID),
        ({"name": ["Boats"]}, "name", INVALID),
        ({"description": 3}, "description", INVALID),
        ({"description": {}}, "description", INVALID),
    ],
    "collections patch": [
        ({"name": 5}, "name", INVALID),
        ({"name": None}, "name", INVALID),
        ({"description": False}, "description", INVALID),
    ],
    "collection items": [
        ({"itemIds": "gal_x"}, "itemIds", INVALID),
        ({"itemIds": [1]}, "itemIds", INVALID),
        ({"itemIds": {"0": "gal_x"}}, "itemIds", INVALID),
    ],
    "bulk delete": [
        ({"itemIds": "gal_x"}, "itemIds", INVALID),
        ({"itemIds": [None]}, "itemIds", INVALID),
        ({"itemIds": None}, "itemIds", INVALID),
    ],
    "bulk tag": [
        ({"tags": "harbour"}, "tags", INVALID),
        ({"tags": [1]}, "tags", INVALID),
        ({"mode": 1}, "mode", INVALID),
        ({"mode": "toggle"}, "mode", INVALID),
    ],
    "bulk collect": [
        ({"collectionId": 5}, "collectionId", INVALID),
        ({"collectionId": None}, "collectionId", INVALID),
    ],
    "bulk download": [({"format": 1}, "format", INVALID), ({"itemIds": 5}, "itemIds", INVALID)],
    "exports": [({"format": ["png"]}, "format", INVALID), ({"itemIds": "gal_x"}, "itemIds", INVALID)],
    "share create": [
        ({"expiresIn": 3600}, "expiresIn", INVALID),
        ({"allowDownload": "true"}, "allowDownload", INVALID),
        ({"showMetadata": 1}, "showMetadata", INVALID),
        ({"maxViews": "10"}, "maxViews", INVALID),
        ({"maxViews": 1.5}, "maxViews", INVALID),
        ({"password": 123}, "password", INVALID),
    ],
    "share patch": [
        ({"expiresIn": None}, "expiresIn", INVALID),
        ({"allowDownload": "no"}, "allowDownload", INVALID),
        ({"maxViews": "3"}, "maxViews", INVALID),
    ],
    "edit": [
        ({"prompt": 3}, "prompt", "invalid_prompt"),
        ({"prompt": None}, "prompt", "invalid_prompt"),
        ({"model": 5}, "model", "invalid_model"),
        ({"sessionId": 5}, "sessionId", INVALID),
    ],
    "split": [
        ({"rows": 2.5}, "rows", INVALID),
        ({"cols": True}, "cols", INVALID),
        ({"rows": None}, "rows", INVALID),
        ({"cols": "2"}, "cols", INVALID),
    ],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_wrong_types_are_a_400_naming_the_field(stack, team, request, family: str) -> None:
    ids = ids_for(request, FAMILIES[family])
    before = state(stack, team, ids)
    problems = []
    for name in FAMILIES[family]:
        for override, field, code in WRONG_TYPES[name]:
            response = ROUTES[name].call(stack, team, ids, override=override)
            problem = refusal_problem(response, 400, code, [field])
            if problem:
                problems.append(f"{name} {override}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before


# --- unknown fields ------------------------------------------------------------------------------
UNKNOWN_FIELDS: dict[str, list[dict[str, Any]]] = {
    "generate-image": [{"negativePrompt": "blur"}, {"num_images": 2}, {"creditsCharged": 0}],
    "patch item": [{"prompt": "rewritten"}, {"source": "uploaded"}, {"id": UNKNOWN_ITEM}],
    "account": [{"credits": 1_000_000}, {"plan": "enterprise"}, {"public_tags": True}],
    "uploads": [{"content_type": "image/png"}, {"itemId": UNKNOWN_ITEM}],
    "collections create": [{"itemCount": 99}, {"isPublic": True}],
    "collections patch": [{"coverUrl": "https://example.com/x.png"}],
    "collection items": [{"item_ids": ["gal_x"]}],
    "bulk delete": [{"force": True}],
    "bulk tag": [{"tag_mode": "replace"}],
    "bulk collect": [{"collection_id": "col_x"}],
    "bulk download": [{"zipName": "all.zip"}],
    "exports": [{"notify": "me@example.com"}],
    "share create": [{"token": "x" * 40}, {"views": 0}, {"allow_download": True}],
    "share patch": [{"revokedAt": None}],
    "edit": [{"sourceImage": "data:image/png;base64,iVBORw0KGgo="}],
    "split": [{"gap": 1}],
}


def test_unknown_fields_are_a_400_naming_the_field_on_every_json_route(stack, team, ids) -> None:
    before = state(stack, team, ids)
    problems = []
    for name, route in ROUTES.items():
        for extra in UNKNOWN_FIELDS[name]:
            [field] = extra
            problem = refusal_problem(route.call(stack, team, ids, override=extra), 400, INVALID, [field])
            if problem:
                problems.append(f"{name} {extra}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before  # no credits granted, no plan changed, no prompt rewritten


# --- bodies over the limit -----------------------------------------------------------------------
TWELVE_MB_PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(12 * MB)).decode()

OVER_LIMIT: dict[str, list[tuple[dict[str, Any], int, str, list[str]]]] = {
    "generate-image": [
        # Not a dry run, so that a refusal here is the size check, not the quote.
        (
            {"dryRun": False, "async": True, "sourceImage": TWELVE_MB_PNG},
            400,
            "invalid_image",
            ["sourceImage", "10 MB"],
        ),
        ({"prompt": "x" * 7_000_000}, 400, "invalid_prompt", ["prompt", "4000"]),
        ({"galleryTags": [f"tag{n}" for n in range(51)]}, 400, INVALID, ["galleryTags", "50"]),
        ({"galleryTags": ["x" * 10_000]}, 400, INVALID, ["galleryTags", "50"]),
    ],
    "patch item": [
        ({"title": "x" * 10_000}, 400, INVALID, ["title", "200"]),
        ({"tags": [f"t{n}" for n in range(51)]}, 400, INVALID, ["tags", "50"]),
        ({"tags": [f"t{n}" for n in range(10_000)]}, 400, INVALID, ["tags"]),
        ({"tags": ["x" * 10_000]}, 400, INVALID, ["tags", "50"]),
    ],
    "account": [],
    "collections create": [
        ({"name": "x" * 10_000}, 400, INVALID, ["name", "100"]),
        ({"description": "x" * 10_000}, 400, INVALID, ["description", "1000"]),
    ],
    "collections patch": [({"description": "x" * 10_000}, 400, INVALID, ["description", "1000"])],
    "collection items": [({"itemIds": ["gal_" + "x" * 10_000]}, 400, INVALID, ["itemIds"])],
    "bulk delete": [({"itemIds": ["gal_" + "x" * 10_000]}, 400, INVALID, ["itemIds"])],
    "bulk tag": [
        ({"tags": ["x" * 10_000]}, 400, INVALID, ["tags", "50"]),
        ({"tags": [f"t{n}" for n in range(201)]}, 400, INVALID, ["tags"]),
    ],
    "bulk collect": [],
    "bulk download": [],
    "exports": [],
    "share create": [
        ({"password": "x" * 10_000}, 400, INVALID, ["password", "200"]),
        ({"maxViews": 10**12}, 400, INVALID, ["maxViews"]),
    ],
    "share patch": [({"password": "x" * 10_000}, 400, INVALID, ["password", "200"])],
    "edit": [({"sessionId": "ses_" + "x" * 10_000}, 400, INVALID, ["sessionId"])],
    "split": [
        ({"rows": 10**12}, 400, INVALID, ["rows", "4"]),
        ({"cols": 10**30}, 400, INVALID, ["cols", "4"]),
    ],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_bodies_over_the_limit_are_refused_with_the_limit(stack, team, request, family: str) -> None:
    ids = ids_for(request, FAMILIES[family])
    before = state(stack, team, ids)
    problems = []
    for name in FAMILIES[family]:
        for override, status, code, named in OVER_LIMIT[name]:
            response = ROUTES[name].call(stack, team, ids, override=override)
            problem = refusal_problem(response, status, code, named)
            if problem:
                problems.append(f"{name} {str(override)[:80]}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before


# --- prompts: empty, 10,000 characters, and the boundary -----------------------------------------
@pytest.mark.parametrize(
    ("prompt", "reason"), [("", "at least 1"), ("x" * 10_000, "4000")], ids=["empty", "10000"]
)
@pytest.mark.parametrize("route", ["generate-image", "edit"])
def test_empty_and_10000_character_prompts_are_refused_and_cost_nothing(
    stack, team, request, route: str, prompt: str, reason: str
) -> None:
    ids = ids_for(request, [route])
    before = state(stack, team, ids)
    override = {"prompt": prompt, "dryRun": False} if route == "generate-image" else {"prompt": prompt}

    response = ROUTES[route].call(stack, team, ids, override=override)

    assert_refused(response, 400, "invalid_prompt", "prompt", reason)
    assert state(stack, team, ids) == before


def test_a_4000_character_prompt_counts_after_trimming(stack, team) -> None:
    padded = "   " + "x" * 4000 + "\n\t "

    response = stack.request("POST", GENERATE, key=team.key, json_body={"prompt": padded, "dryRun": True})

    assert response.status == 200, response.body
    assert response.json()["creditsRequired"] == 5


# --- unicode -------------------------------------------------------------------------------------
INTACT_PROMPTS = [
    "Mountains at dawn \U0001f3d4\ufe0f\U0001f305 with a family \U0001f468\u200d\U0001f469\u200d\U0001f467 "
    "and a flag \U0001f1ef\U0001f1f5",
    "A sign reading \u202eevil\u202c and \u2067isolated\u2069 text",
    "\u05e9\u05dc\u05d5\u05dd \u2014 \u0645\u0631\u062d\u0628\u0627, "
    "combining e\u0301 n\u0303 Z\u0335\u0321a\u0337",
]


def test_emoji_and_rtl_prompts_are_valid_and_stored_intact(stack, team) -> None:
    jobs = []
    for prompt in INTACT_PROMPTS:
        body = {"prompt": prompt, "model": "local/procedural", "async": True}
        accepted = stack.request("POST", GENERATE, key=team.key, json_body=body)
        assert accepted.status == 202, accepted.body
        jobs.append(accepted.json()["jobId"])
    stack.run_workers()

    for prompt, job_id in zip(INTACT_PROMPTS, jobs, strict=True):
        job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
        assert job["status"] == "succeeded", job
        item_id = job["result"]["images"][0]["galleryId"]
        item = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()
        assert item["prompt"] == prompt
        assert item["generation"]["request"]["prompt"] == prompt
        found = stack.request("GET", GALLERY, key=team.key, query={"search": prompt[-12:]}).json()
        assert [found_item["id"] for found_item in found["items"]] == [item_id]
    assert state(stack, team)["credits"] == 1000 - 5 * len(INTACT_PROMPTS)


def test_emoji_and_rtl_text_round_trip_in_titles_tags_and_collection_names(stack, team, ids) -> None:
    title = "\u202egnp.exe \U0001f3d4\ufe0f \u05e9\u05dc\u05d5\u05dd"
    tags = ["\U0001f3d4\ufe0f", "\u05e9\u05dc\u05d5\u05dd", "\u202eevil\u202c"]
    name = "Harbours \U0001f30a \u0645\u0631\u0641\u0623"

    patched = stack.request(
        "PATCH", f"{GALLERY}/{ids.item}", key=team.key, json_body={"title": title, "tags": tags}
    )
    created = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": name})

    assert patched.status == 200, patched.body
    item = stack.request("GET", f"{GALLERY}/{ids.item}", key=team.key).json()
    assert (item["title"], item["tags"]) == (title, tags)
    assert created.status == 201, created.body
    assert stack.request("GET", f"{COLLECTIONS}/{created.json()['id']}", key=team.key).json()["name"] == name


def test_a_lone_surrogate_is_refused_naming_the_field(stack, team) -> None:
    prompt = stack.request("POST", GENERATE, key=team.key, raw_body='{"prompt": "a\\ud800b", "dryRun": true}')
    name = stack.request("POST", COLLECTIONS, key=team.key, raw_body='{"name": "\\udc00"}')

    assert_refused(prompt, 400, "invalid_prompt", "prompt")
    assert_refused(name, 400, INVALID, "name")
    assert state(stack, team)["collections"] == []


def _generated_prompt(stack, team, prompt: str) -> tuple[Any, list[str]]:
    response = stack.request("POST", GENERATE, key=team.key, json_body={"prompt": prompt, "async": True})
    if response.status != 202:
        return response, []
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{response.json()['jobId']}", key=team.key).json()
    item_id = job["result"]["images"][0]["galleryId"]
    return response, [stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()["prompt"]]


def _edit_prompt(stack, team, get_ids: Callable[[], Ids]) -> tuple[Any, list[str]]:
    ids = get_ids()
    response = ROUTES["edit"].call(stack, team, ids, override={"prompt": "Add a boat\x00 please"})
    if response.status != 202:
        return response, []
    session = stack.request("GET", f"/api/v1/sessions/{response.json()['editSessionId']}", key=team.key)
    return response, [turn["prompt"] for turn in session.json()["turns"]]


def _patched(field: str, value: Any) -> Callable[..., tuple[Any, list[str]]]:
    def patch(stack, team, get_ids: Callable[[], Ids]) -> tuple[Any, list[str]]:
        ids = get_ids()
        response = stack.request("PATCH", f"{GALLERY}/{ids.item}", key=team.key, json_body={field: value})
        stored = stack.request("GET", f"{GALLERY}/{ids.item}", key=team.key).json()[field]
        return response, stored if isinstance(stored, list) else [stored]

    return patch


def _collection_name(stack, team, get_ids: Callable[[], Ids]) -> tuple[Any, list[str]]:
    response = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": "Boats\x00"})
    return response, [
        c["name"] for c in stack.request("GET", COLLECTIONS, key=team.key).json()["collections"]
    ]


def _bulk_tags(stack, team, get_ids: Callable[[], Ids]) -> tuple[Any, list[str]]:
    ids = get_ids()
    response = ROUTES["bulk tag"].call(stack, team, ids, override={"tags": ["sea\x00side"]})
    return response, stack.request("GET", f"{GALLERY}/{ids.item}", key=team.key).json()["tags"]


NUL_CASES = [
    pytest.param(
        lambda stack, team, get_ids: _generated_prompt(stack, team, "A harbour\x00 at dawn"),
        "prompt",
        "invalid_prompt",
        id="generate-prompt-with-NUL",
    ),
    pytest.param(
        lambda stack, team, get_ids: _generated_prompt(stack, team, " \x00 "),
        "prompt",
        "invalid_prompt",
        id="generate-prompt-of-only-NUL",
    ),
    pytest.param(
        _edit_prompt,
        "prompt",
        "invalid_prompt",
        id="edit-prompt-with-NUL",
    ),
    pytest.param(
        _patched("title", "Harbour\x00"),
        "title",
        INVALID,
        id="item-title-with-NUL",
    ),
    pytest.param(
        _patched("tags", ["sea\x00side"]),
        "tags",
        INVALID,
        id="item-tag-with-NUL",
    ),
    pytest.param(
        _collection_name,
        "name",
        INVALID,
        id="collection-name-with-NUL",
    ),
    pytest.param(
        _bulk_tags,
        "tags",
        INVALID,
        id="bulk-tag-with-NUL",
    ),
]


@pytest.mark.parametrize(("send", "field", "code"), NUL_CASES)
def test_nul_in_text_is_refused_or_stripped(stack, team, request, send, field: str, code: str) -> None:
    """Upload filenames refuse control characters already; every other text field should too (or
    strip them). A NUL is never part of what a user meant, and it breaks C-string consumers."""
    response, stored = send(stack, team, lambda: request.getfixturevalue("ids"))

    if response.status == 400:
        assert_refused(response, 400, code, field)
    else:
        assert response.status < 300, response.body
        assert stored, "nothing stored"
        assert all("\x00" not in value and value.strip() for value in stored), stored


# --- source images: data URLs --------------------------------------------------------------------
PNG = image_bytes("PNG")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><script>alert(1)</script></svg>'
ANIMATED_GIF = image_bytes("GIF", frames=3)


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int) -> bytes:
    """A decompression bomb's header: a PNG that claims ``width`` x ``height`` with a few bytes of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(4096)))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("source", "named"),
    [
        pytest.param(data_url("text/plain", b"hello"), ["text/plain"], id="text-plain-mime"),
        pytest.param(data_url("image/svg+xml", SVG), ["image/svg+xml"], id="svg-mime"),
        pytest.param(data_url("image/png", SVG), ["image/png", "SVG"], id="svg-bytes-labelled-png"),
        pytest.param(
            data_url("image/png", image_bytes("JPEG")), ["image/png", "JPEG"], id="jpeg-labelled-png"
        ),
        pytest.param(
            data_url("image/png", PNG[: len(PNG) // 2]), ["truncated or corrupt"], id="truncated-png"
        ),
        pytest.param(data_url("image/png", PNG[:33]), ["truncated or corrupt"], id="png-header-only"),
        pytest.param(
            data_url("image/png", png_claiming(50_000, 50_000)), ["megapixels", "40"], id="bomb-50000x50000"
        ),
        pytest.param(data_url("image/gif", ANIMATED_GIF), ["image/gif"], id="animated-gif"),
        pytest.param(data_url("image/png", ANIMATED_GIF), ["GIF"], id="animated-gif-labelled-png"),
        pytest.param(data_url("image/png", image_bytes("PNG", frames=3)), ["Animated"], id="animated-png"),
        pytest.param(data_url("image/webp", image_bytes("WEBP", frames=3)), ["Animated"], id="animated-webp"),
        pytest.param(TWELVE_MB_PNG, ["10 MB"], id="12-MB"),
        pytest.param("data:image/png;base64,", ["empty"], id="no-payload"),
        pytest.param("data:image/png;base64,iVBOR\u00e9w0KGgo=", ["base64"], id="non-ascii-base64"),
        pytest.param("data:image/png," + PNG[:8].hex(), ["base64 data URL"], id="no-base64-marker"),
        pytest.param("https://example.com/cat.png", ["data URL"], id="plain-url"),
    ],
)
def test_bad_source_images_are_invalid_image_and_cost_nothing(
    stack, team, source: str, named: list[str]
) -> None:
    body = {"prompt": "Make it a watercolour", "sourceImage": source, "async": True}

    response = stack.request("POST", GENERATE, key=team.key, json_body=body)

    assert_refused(response, 400, "invalid_image", "sourceImage", *named)
    after = state(stack, team)
    assert (after["credits"], after["facets"]["total"]) == (1000, 0)


def test_a_dry_run_refuses_a_bad_source_image(stack, team) -> None:
    body = {"prompt": "x", "dryRun": True, "sourceImage": data_url("image/png", b"not an image")}

    response = stack.request("POST", GENERATE, key=team.key, json_body=body)

    assert_refused(response, 400, "invalid_image", "sourceImage")


def test_refused_source_images_do_not_use_up_the_rate_limit(stack, make_team, monkeypatch) -> None:
    # One fixed minute, so the window cannot roll over mid-test.
    monkeypatch.setattr(RateLimiter.__init__, "__defaults__", (None, None, lambda: 1_800_000_000.0))
    team = make_team(plan=Plan.FREE)  # 10 generation requests a minute
    bad = {"prompt": "x", "async": True, "sourceImage": data_url("image/png", b"not an image")}
    for _ in range(10):
        assert stack.request("POST", GENERATE, key=team.key, json_body=bad).status == 400

    response = stack.request("POST", GENERATE, key=team.key, json_body={"prompt": "x", "async": True})

    assert response.status == 202, response.body


# --- uploads: declared values, and files that are not what they claim ----------------------------
UPLOAD_CASES: list[tuple[dict[str, Any], int, str, list[str]]] = [
    ({"filename": "a\nb.png"}, 400, INVALID, ["filename"]),
    ({"filename": "x" * 256 + ".png"}, 400, INVALID, ["filename", "255"]),
    ({"filename": None}, 400, INVALID, ["filename"]),
    ({"filename": ["a.png"]}, 400, INVALID, ["filename"]),
    ({"contentType": "text/plain"}, 400, INVALID, ["contentType"]),
    ({"contentType": "application/octet-stream"}, 400, INVALID, ["contentType"]),
    ({"contentType": "image/png; charset=binary"}, 400, INVALID, ["contentType"]),
    ({"contentType": "IMAGE/PNG"}, 400, INVALID, ["contentType"]),
    ({"contentType": None}, 400, INVALID, ["contentType"]),
    ({"size": -5}, 400, INVALID, ["size"]),
    ({"size": 10**12}, 400, INVALID, ["size"]),
    ({"size": 1.5}, 400, INVALID, ["size"]),
    ({"size": True}, 400, INVALID, ["size"]),
    ({"size": None}, 400, INVALID, ["size"]),
    ({"size": 31 * MB}, 413, "payload_too_large", ["30 MB"]),
    (
        {"filename": "clip.mp4", "contentType": "video/mp4", "size": 201 * MB},
        413,
        "payload_too_large",
        ["200 MB"],
    ),
]


def test_bad_upload_declarations_are_refused_before_a_url_is_issued(stack, team) -> None:
    before = state(stack, team)
    problems = []
    for override, status, code, named in UPLOAD_CASES:
        response = ROUTES["uploads"].call(stack, team, NO_IDS, override=override)
        problem = refusal_problem(response, status, code, named)
        if problem:
            problems.append(f"{str(override)[:80]}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team) == before


def test_an_upload_filename_with_folders_keeps_only_its_name(stack, team) -> None:
    body = {"filename": "../../etc/passwd", "contentType": "image/png", "size": 1024}

    started = stack.request("POST", UPLOADS, key=team.key, json_body=body)

    assert started.status == 201, started.body
    object_key = unquote(urlsplit(started.json()["uploadUrl"]).path)
    assert ".." not in object_key and "passwd" not in object_key
    assert stack.request("GET", started.json()["statusUrl"], key=team.key).json()["filename"] == "passwd"


def _upload(stack, team, data: bytes, content_type: str) -> dict[str, Any]:
    body = {"filename": "picture", "contentType": content_type, "size": len(data)}
    started = stack.request("POST", UPLOADS, key=team.key, json_body=body)
    assert started.status == 201, started.body
    key = unquote(urlsplit(started.json()["uploadUrl"]).path.split("/", 2)[2])
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=get_settings().media_bucket, Key=key, Body=data, ContentType=content_type
    )
    stack.run_ingest()
    return stack.request("GET", started.json()["statusUrl"], key=team.key).json()


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        pytest.param(SVG, "image/png", "SVG", id="svg-declared-png"),
        pytest.param(png_claiming(50_000, 50_000), "image/png", "megapixels", id="bomb-50000x50000"),
        pytest.param(b"GIF89a then no picture", "image/gif", "truncated or corrupt", id="gif-signature-only"),
    ],
)
def test_an_uploaded_file_that_is_no_acceptable_image_fails_with_a_reason(
    stack, team, data: bytes, content_type: str, reason: str
) -> None:
    status = _upload(stack, team, data, content_type)

    assert (status["status"], status["error"]["code"]) == ("failed", "invalid_image"), status
    assert reason in status["error"]["message"]
    assert status["item"] is None
    assert stack.request("GET", f"{GALLERY}/{status['itemId']}", key=team.key).status == 404
    assert state(stack, team)["facets"]["total"] == 0


# --- ids with path characters --------------------------------------------------------------------
BAD_PATH_IDS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2F",
    "gal_..%2f..",
    "gal_..%2F..%2Fteam_x",
    "gal_%00",
    "gal_x%27%20OR%201=1",
]
ITEM_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"title": "x"}),
    ("DELETE", "", None),
    ("POST", "/favorite", None),
    ("POST", "/restore", None),
    ("DELETE", "/forever", None),
    ("GET", "/download", None),
    ("POST", "/remix", None),
    ("POST", "/share", {}),
    ("GET", "/share", None),
    ("PATCH", "/share", {"allowDownload": True}),
    ("DELETE", "/share", None),
    ("GET", "/shares", None),
    ("POST", "/edit", {"prompt": "Add a boat"}),
    ("POST", "/split", {"rows": 2, "cols": 2}),
    ("POST", "/clean-background", None),
    ("POST", "/open-in-chat", None),
]
COLLECTION_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"name": "x"}),
    ("DELETE", "", None),
    ("POST", "/items", {"itemIds": [UNKNOWN_ITEM]}),
    ("DELETE", "/items", {"itemIds": [UNKNOWN_ITEM]}),
    ("POST", "/share", {}),
    ("GET", "/share", None),
    ("PATCH", "/share", {"allowDownload": True}),
    ("DELETE", "/share", None),
    ("GET", "/shares", None),
]


def test_item_ids_with_path_characters_are_a_400_on_every_item_route(stack, team, ids) -> None:
    before = state(stack, team, ids)
    problems = []
    for bad in BAD_PATH_IDS:
        for method, suffix, body in ITEM_ROUTES:
            response = stack.request(method, f"{GALLERY}/{bad}{suffix}", key=team.key, json_body=body)
            problem = refusal_problem(response, 400, INVALID, ["itemId"])
            if problem:
                problems.append(f"{method} {GALLERY}/{bad}{suffix}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before


def test_collection_job_session_and_upload_ids_with_path_characters_are_a_400(stack, team, ids) -> None:
    before = state(stack, team, ids)
    problems = []
    for bad in ["..%2F..%2Fgallery", "%2F", "col_..%2f..", "col_%27%3B--", "job_..%2f..", "%2e%2e"]:
        calls = [
            (method, f"{COLLECTIONS}/{bad}{suffix}", body, "collectionId")
            for method, suffix, body in COLLECTION_ROUTES
        ]
        calls += [
            ("GET", f"/api/v1/jobs/{bad}", None, "jobId"),
            ("GET", f"{EXPORTS}/{bad}", None, "jobId"),
            ("GET", f"/api/v1/sessions/{bad}", None, "sessionId"),
            ("GET", f"{UPLOADS}/{bad}", None, "itemId"),
        ]
        for method, path, body, field in calls:
            problem = refusal_problem(
                stack.request(method, path, key=team.key, json_body=body), 400, INVALID, [field]
            )
            if problem:
                problems.append(f"{method} {path}: {problem}")

    assert not problems, "\n".join(problems)
    assert state(stack, team, ids) == before


def test_public_links_with_path_characters_are_not_found(stack) -> None:
    for path in [
        "/share/..%2F..%2Fapi%2Fv1%2Fgallery",
        "/share/..%2F..%2Fapi/download",
        "/share/x/items/gal_..%2f../image",
        "/media/..%2F..%2Fteam_x/gal_x/original/sig",
        "/media/team_x/gal_..%2f../original/sig",
        "/public/gal_..%2f../original",
    ]:
        response = stack.request("GET", path)
        assert response.status == 404, (path, response.status, response.body[:200])


def test_ids_with_path_characters_in_bulk_bodies_fail_alone_as_not_found(stack, team, ids) -> None:
    bad_ids = ["../../etc/passwd", "gal_..%2f..", "gal_x' OR '1'='1", "gal_*", f"{ids.item}/../x"]
    before = state(stack, team, ids)

    deleted = ROUTES["bulk delete"].call(stack, team, ids, override={"itemIds": bad_ids})
    tagged = ROUTES["bulk tag"].call(stack, team, ids, override={"itemIds": bad_ids})
    added = ROUTES["collection items"].call(stack, team, ids, override={"itemIds": bad_ids})
    bad_collection = ROUTES["bulk collect"].call(stack, team, ids, override={"collectionId": "col_..%2f.."})
    bad_target = ROUTES["generate-image"].call(stack, team, ids, override={"collectionId": "../col_x"})

    for response in (deleted, tagged):
        assert response.status == 200, response.body
        assert response.json() == {
            "succeeded": [],
            "failed": [{"id": i, "code": "not_found"} for i in bad_ids],
        }
    assert added.status == 200, added.body
    assert added.json()["added"] == []
    assert added.json()["failed"] == [{"id": i, "code": "not_found"} for i in bad_ids]
    assert_refused(bad_collection, 400, INVALID, "collectionId")
    assert_refused(bad_target, 400, INVALID, "collectionId")
    assert state(stack, team, ids) == before


# --- too many ids --------------------------------------------------------------------------------
def test_too_many_ids_change_nothing_even_for_the_real_ones(stack, team, ids) -> None:
    fakes = [f"gal_{n:026d}" for n in range(200)]
    before = state(stack, team, ids)

    deleted = ROUTES["bulk delete"].call(stack, team, ids, override={"itemIds": [ids.item, *fakes]})
    tagged = ROUTES["bulk tag"].call(stack, team, ids, override={"itemIds": [*fakes, ids.item]})
    removed = stack.request(
        "DELETE",
        f"{COLLECTIONS}/{ids.collection}/items",
        key=team.key,
        json_body={"itemIds": [ids.item, *fakes]},
    )
    downloaded = ROUTES["bulk download"].call(
        stack, team, ids, override={"itemIds": [f"gal_{n}" for n in range(501)]}
    )

    for response in (deleted, tagged, removed):
        assert_refused(response, 400, "too_many_ids", "200", "201")
    assert_refused(downloaded, 400, "too_many_ids", "500")
    assert state(stack, team, ids) == before


@pytest.mark.parametrize(
    ("route", "limit"),
    [
        ("bulk delete", "200"),
        ("collection items", "200"),
        ("exports", "500"),
    ],
)
def test_a_thousand_and_one_ids_are_too_many_ids(stack, team, route: str, limit: str) -> None:
    collection = stack.request("POST", COLLECTIONS, key=team.key, json_body={"name": "Boats"}).json()["id"]
    many = [f"gal_{n:026d}" for n in range(1001)]

    response = ROUTES[route].call(stack, team, Ids(UNKNOWN_ITEM, collection), override={"itemIds": many})

    assert_refused(response, 400, "too_many_ids", limit)


# --- injection-like search strings ---------------------------------------------------------------
INJECTIONS = ["' OR 1=1 --", '{"$gt": ""}', "<script>alert(1)</script>", "%", "_", ".*", "\\", "*"]


def test_injection_like_filters_are_plain_text_that_matches_nothing(stack, team) -> None:
    stack.make_items(team, 2)
    problems = []
    for needle in INJECTIONS:
        for param in ("search", "tags", "model"):
            response = stack.request("GET", GALLERY, key=team.key, query={param: needle})
            body = response.json() if response.status == 200 else None
            if not body or body["items"] != [] or body["total"] != 0:
                problems.append(f"{param}={needle!r}: {response.status} {response.body[:200]!r}")
            elif needle.encode() in response.body or not response.headers["content-type"].startswith(
                "application/json"
            ):
                problems.append(f"{param}={needle!r} is echoed: {response.body[:200]!r}")

    assert not problems, "\n".join(problems)


def test_an_injection_like_prompt_is_found_literally_and_escaped_on_its_share_page(stack, team) -> None:
    prompt = '<script>alert(1)</script> \' OR 1=1 -- {"$gt": ""}'
    stack.make_items(team, 1)
    [item_id] = stack.make_items(team, 1, prompt=prompt)
    token = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body={}).json()["token"]

    found = stack.request("GET", GALLERY, key=team.key, query={"search": "' OR 1=1 --"}).json()
    page = stack.request("GET", f"/share/{token}")
    as_json = stack.request("GET", f"/share/{token}", headers={"accept": "application/json"})

    assert [item["id"] for item in found["items"]] == [item_id]
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b"<script>alert(1)" not in page.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["images"][0]["prompt"] == prompt


# --- paging values -------------------------------------------------------------------------------
WRONG_SHAPE_CURSOR = base64.urlsafe_b64encode(
    b'["p", "t", "x"]'
).decode()  # valid base64 JSON, not a position
NON_NUMERIC_TOTAL_CURSOR = base64.urlsafe_b64encode(b'{"p": "x", "t": "many", "x": "1"}').decode()
LIMITS = [("limit", "-1"), ("limit", "0"), ("limit", str(10**9)), ("limit", "1.5"), ("limit", "")]
PAGES = [("page", "0"), ("page", "-5"), ("page", str(10**12)), ("page", "1e3")]
CURSORS = [("cursor", "garbage"), ("cursor", "!!!"), ("cursor", WRONG_SHAPE_CURSOR), ("cursor", "x" * 3000)]
PAGING: dict[str, tuple[str, bool, list[tuple[str, str]]]] = {
    # /gallery: test_validation.py has limit=0/101, page=0/abc and cursor=not-a-cursor.
    "gallery": (
        GALLERY,
        True,
        [
            *LIMITS[::2],
            LIMITS[3],
            *PAGES[1:],
            ("page", "501"),
            *CURSORS[1:],
            ("cursor", NON_NUMERIC_TOTAL_CURSOR),
        ],
    ),
    "trash": (f"{GALLERY}/trash", True, [*LIMITS, *PAGES, *CURSORS]),
    "public gallery": ("/api/v1/public/gallery", False, [*LIMITS, *PAGES, *CURSORS]),
    "collections": (COLLECTIONS, True, [*LIMITS, *CURSORS]),
    "ledger": (f"{ACCOUNT}/ledger", True, [*LIMITS, *CURSORS]),
}


@pytest.mark.parametrize("listing", list(PAGING))
def test_negative_huge_and_garbage_paging_values_are_a_400_with_a_reason(stack, team, listing: str) -> None:
    path, authenticated, values = PAGING[listing]
    problems = []
    for name, value in values:
        response = stack.request("GET", path, key=team.key if authenticated else None, query={name: value})
        problem = refusal_problem(response, 400, INVALID, [name])
        if problem:
            problems.append(f"{name}={value[:40]!r}: {problem}")

    assert not problems, "\n".join(problems)
