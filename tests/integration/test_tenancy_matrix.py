"""The tenancy matrix: every authenticated route of the committed OpenAPI document, called by another
team with the first team's ids, answers 404 (or, for team-level routes, only the caller's own data),
and the first team's state is the same afterwards. Plus the public routes' side of it.

The routes come from openapi.json: a new authenticated route without an entry in ``MATRIX`` fails
``test_the_matrix_covers_every_authenticated_route``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from presigned import without_signatures

from galleria import media_links
from galleria.config import get_settings
from galleria.domain.items import Rendition
from galleria_local.in_process import HttpResponse, TeamKey
from galleria_local.in_process import InProcessStack as Stack

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "layers" / "shared" / "galleria" / "api" / "openapi.json"
API = "/api/v1"
GALLERY = f"{API}/gallery"
COLLECTIONS = f"{GALLERY}/collections"
# /api/v1 routes the contract leaves open (no key); everything else under /api/v1 takes a team's key.
PUBLIC_API_ROUTES = {
    f"GET {API}/models",
    f"GET {API}/public/gallery",
    f"GET {API}/openapi.json",
    f"GET {API}/docs",
}
# Words only team A ever wrote: none may appear in anything team B is answered.
PROMPT = "Confidential lighthouse of team alpha"
EDIT_PROMPT = "Paint the alpha lighthouse crimson"
TAGS = ["alpha-secret", "alpha-harbour"]
COLLECTION_NAME = "Alpha vault"
COLLECTION_DESCRIPTION = "Alpha's private shots"
UPLOAD_NAME = "alpha-passport-scan.png"
IDEMPOTENCY_KEY = "tenancy-matrix-shared-key"
UNKNOWN_ITEM = "gal_01jd0000000000000000000000"


def authenticated_routes() -> set[str]:
    document = json.loads(OPENAPI.read_text())
    default_security = document.get("security", [])
    routes = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            if not path.startswith(f"{API}/") or key in PUBLIC_API_ROUTES:
                continue
            if operation.get("security", default_security):
                routes.add(key)
    return routes


# --- the first team's world ------------------------------------------------------------------
@dataclass
class World:
    a: TeamKey
    b: TeamKey
    item: str  # tagged, in the collection, shared
    trashed: str  # in A's trash
    variant: str  # made by the edit
    collection: str
    item_token: str
    collection_token: str
    generation_job: str
    edit_job: str
    export_job: str
    session: str
    upload: str
    gallery_cursor: str
    ledger_cursor: str
    b_item: str
    b_collection: str
    b_storage: dict[str, Any] = field(default_factory=dict)

    @property
    def a_items(self) -> list[str]:
        return [self.item, self.trashed, self.variant]

    @property
    def a_ids(self) -> list[str]:
        """Every id of A's: none may show up in B's answers unless B sent it."""
        return [
            *self.a_items,
            self.collection,
            self.generation_job,
            self.edit_job,
            self.export_job,
            self.session,
            self.upload,
        ]

    @property
    def secrets(self) -> list[str]:
        """What B never sends and must never see."""
        return [
            self.a.team_id,
            self.a.key,
            self.item_token,
            self.collection_token,
            PROMPT,
            EDIT_PROMPT,
            *TAGS,
            COLLECTION_NAME,
            COLLECTION_DESCRIPTION,
            UPLOAD_NAME,
        ]


def ok(response: HttpResponse, status: int = 200) -> Any:
    assert response.status == status, response.body[:500]
    return response.json()


def build_world(stack: Stack, a: TeamKey, b: TeamKey) -> World:
    # A generation job of two images (with an Idempotency-Key B will reuse), one tagged.
    accepted = stack.request(
        "POST",
        f"{API}/generate-image",
        key=a.key,
        headers={"idempotency-key": IDEMPOTENCY_KEY},
        json_body={"prompt": PROMPT, "model": "local/procedural", "numImages": 2, "async": True},
    )
    generation_job = ok(accepted, 202)["jobId"]
    stack.run_workers()
    job = ok(stack.request("GET", f"{API}/jobs/{generation_job}", key=a.key))
    item, trashed = (image["galleryId"] for image in job["result"]["images"])
    ok(stack.request("PATCH", f"{GALLERY}/{item}", key=a.key, json_body={"tags": TAGS, "rating": 4}))

    # A collection holding the item; active share links on the item and the collection.
    collection = ok(
        stack.request(
            "POST",
            COLLECTIONS,
            key=a.key,
            json_body={"name": COLLECTION_NAME, "description": COLLECTION_DESCRIPTION},
        ),
        201,
    )["id"]
    added = ok(
        stack.request("POST", f"{COLLECTIONS}/{collection}/items", key=a.key, json_body={"itemIds": [item]})
    )
    assert added["added"] == [item]
    item_token = ok(
        stack.request("POST", f"{GALLERY}/{item}/share", key=a.key, json_body={"allowDownload": True}), 201
    )["token"]
    collection_token = ok(
        stack.request(
            "POST", f"{COLLECTIONS}/{collection}/share", key=a.key, json_body={"allowDownload": True}
        ),
        201,
    )["token"]

    # An edit session with one finished turn (its variant is a third item).
    edit = ok(
        stack.request(
            "POST",
            f"{GALLERY}/{item}/edit",
            key=a.key,
            json_body={"prompt": EDIT_PROMPT, "model": "local/procedural"},
        ),
        202,
    )
    stack.run_workers()
    edited = ok(stack.request("GET", f"{API}/jobs/{edit['jobId']}", key=a.key))
    assert edited["status"] == "succeeded", edited
    variant = edited["result"]["images"][0]["galleryId"]

    # One item in the trash, a finished export, an upload waiting for its bytes.
    ok(stack.request("DELETE", f"{GALLERY}/{trashed}", key=a.key))
    export = ok(
        stack.request(
            "POST",
            f"{GALLERY}/exports",
            key=a.key,
            headers={"idempotency-key": IDEMPOTENCY_KEY},
            json_body={"itemIds": [item, variant]},
        ),
        202,
    )
    stack.run_exports()
    assert ok(stack.request("GET", export["statusUrl"], key=a.key))["status"] == "succeeded"
    upload = ok(
        stack.request(
            "POST",
            f"{GALLERY}/uploads",
            key=a.key,
            json_body={"filename": UPLOAD_NAME, "contentType": "image/png", "size": 1234},
        ),
        201,
    )["itemId"]

    # Cursors of A's listing and ledger, which B will try to use.
    gallery_cursor = ok(stack.request("GET", GALLERY, key=a.key, query={"limit": "1"}))["nextCursor"]
    ledger_cursor = ok(stack.request("GET", f"{API}/account/ledger", key=a.key, query={"limit": "1"}))[
        "nextCursor"
    ]
    assert gallery_cursor and ledger_cursor

    # B's own item and collection, for bodies that mix B's ids with A's.
    [b_item] = stack.make_items(b, 1, prompt="Bravo's own teapot")
    b_collection = ok(stack.request("POST", COLLECTIONS, key=b.key, json_body={"name": "Bravo box"}), 201)[
        "id"
    ]

    world = World(
        a=a,
        b=b,
        item=item,
        trashed=trashed,
        variant=variant,
        collection=collection,
        item_token=item_token,
        collection_token=collection_token,
        generation_job=generation_job,
        edit_job=edit["jobId"],
        export_job=export["jobId"],
        session=edit["editSessionId"],
        upload=upload,
        gallery_cursor=gallery_cursor,
        ledger_cursor=ledger_cursor,
        b_item=b_item,
        b_collection=b_collection,
    )
    world.b_storage = ok(stack.request("GET", f"{GALLERY}/storage", key=b.key))
    return world


# --- A's state, compared before and after ----------------------------------------------------
def snapshot(stack: Stack, w: World) -> dict[str, Any]:
    def get(path: str, **query: str) -> Any:
        return without_signatures(ok(stack.request("GET", path, key=w.a.key, query=query or None)))

    def listing(path: str, **query: str) -> tuple[list[str], int]:
        page = get(path, limit="100", **query)
        return [entry["id"] for entry in page["items"]], page["total"]

    account = get(f"{API}/account")
    return {
        "items": {item_id: get(f"{GALLERY}/{item_id}") for item_id in w.a_items},
        "listing": listing(GALLERY),
        "listing in collection": listing(GALLERY, collection=w.collection),
        "listing by tag": listing(GALLERY, tags=TAGS[0]),
        "trash": listing(f"{GALLERY}/trash"),
        "facets": get(f"{GALLERY}/facets"),
        "collection": get(f"{COLLECTIONS}/{w.collection}"),
        "collections": get(COLLECTIONS),
        "item share": get(f"{GALLERY}/{w.item}/share"),
        "item shares": get(f"{GALLERY}/{w.item}/shares"),
        "collection share": get(f"{COLLECTIONS}/{w.collection}/share"),
        "collection shares": get(f"{COLLECTIONS}/{w.collection}/shares"),
        "storage": get(f"{GALLERY}/storage"),
        "account": account,
        "credits": account["credits"],
        "ledger": get(f"{API}/account/ledger", limit="100"),
        "jobs": {job: get(f"{API}/jobs/{job}") for job in (w.generation_job, w.edit_job, w.export_job)},
        "export": get(f"{GALLERY}/exports/{w.export_job}"),
        "session": get(f"{API}/sessions/{w.session}"),
        "upload": get(f"{GALLERY}/uploads/{w.upload}"),
    }


# --- the intruder's calls ----------------------------------------------------------------------
Check = Callable[[Stack, World, HttpResponse], None]


def not_found(stack: Stack, w: World, response: HttpResponse) -> None:
    assert response.status == 404, response.body[:500]
    assert response.json()["code"] == "not_found", response.body[:500]


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    body: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    check: Check = not_found
    echoes_ids: bool = False  # the answer may name the A ids B sent (failed / missing lists)


def ids_in(text: str, ids: list[str]) -> list[str]:
    return [one for one in ids if one in text]


def only_own_items(count: Callable[[World], int] = lambda w: 1) -> Check:
    """A listing of B's: B's own items only, its own total."""

    def check(stack: Stack, w: World, response: HttpResponse) -> None:
        page = ok(response)
        assert [entry["id"] for entry in page["items"]] == ([w.b_item] if count(w) else []), page
        assert page["total"] == count(w), page

    return check


def empty_listing(stack: Stack, w: World, response: HttpResponse) -> None:
    page = ok(response)
    assert page["items"] == [] and page["total"] == 0, page


def listing_or_refused(stack: Stack, w: World, response: HttpResponse) -> None:
    """A cursor of A's: refused, or read as one of B's (which opens nothing of A's)."""
    if response.status == 400:
        return
    page = ok(response)
    assert {entry["id"] for entry in page["items"]} <= {w.b_item}, page


def own_account(stack: Stack, w: World, response: HttpResponse) -> None:
    account = ok(response)
    assert account["teamId"] == w.b.team_id, account
    assert account["storage"]["itemCount"] == 1, account


def own_ledger(stack: Stack, w: World, response: HttpResponse) -> None:
    if response.status == 400:  # A's cursor
        return
    entries = ok(response)["entries"]
    assert {entry["jobId"] for entry in entries} & set(w.a_ids) == set(), entries


def own_facets(stack: Stack, w: World, response: HttpResponse) -> None:
    facets = ok(response)
    assert facets["total"] == 1 and facets["trash"] == 0, facets
    assert facets["tags"] == {} and w.collection not in facets["collections"], facets


def own_trash(stack: Stack, w: World, response: HttpResponse) -> None:
    page = ok(response)
    assert page["items"] == [] and page["total"] == 0, page


def own_storage(stack: Stack, w: World, response: HttpResponse) -> None:
    assert ok(response) == w.b_storage


def own_collections(stack: Stack, w: World, response: HttpResponse) -> None:
    listed = [entry["id"] for entry in ok(response)["collections"]]
    assert w.b_collection in listed and w.collection not in listed, listed


def new_own_collection(stack: Stack, w: World, response: HttpResponse) -> None:
    made = ok(response, 201)
    assert made["id"] != w.collection and made["itemCount"] == 0, made
    assert stack.request("DELETE", f"{COLLECTIONS}/{made['id']}", key=w.b.key).status == 204


def new_own_upload(stack: Stack, w: World, response: HttpResponse) -> None:
    started = ok(response, 201)
    assert started["itemId"] != w.upload, started
    assert f"/{w.b.team_id}/" in urlsplit(started["uploadUrl"]).path, started
    assert ok(stack.request("GET", started["statusUrl"], key=w.b.key))["status"] == "pending"


def own_job(stack: Stack, w: World, response: HttpResponse) -> None:
    """Accepted as a job of B's (also with the Idempotency-Key A used: keys are per team)."""
    accepted = ok(response, 202)
    assert accepted["jobId"] not in w.a_ids, accepted
    job = ok(stack.request("GET", f"{API}/jobs/{accepted['jobId']}", key=w.b.key))
    assert job["id"] == accepted["jobId"], job
    assert stack.request("GET", f"{API}/jobs/{accepted['jobId']}", key=w.a.key).status == 404


def same_quote_as_unknown(stack: Stack, w: World, response: HttpResponse) -> None:
    """A dry run naming A's item answers as one naming no item at all: no existence oracle."""
    unknown = stack.request(
        "POST",
        f"{API}/generate-image",
        key=w.b.key,
        json_body={"prompt": "x", "sourceItemId": UNKNOWN_ITEM, "dryRun": True},
    )
    assert response.status == unknown.status, (response.body, unknown.body)
    assert response.body.replace(w.item.encode(), b"ID") == unknown.body.replace(UNKNOWN_ITEM.encode(), b"ID")


def all_failed(*ids: str) -> Check:
    def check(stack: Stack, w: World, response: HttpResponse) -> None:
        body = ok(response)
        changed = body.get("succeeded", body.get("added", body.get("removed")))
        assert changed == [], body
        assert sorted((entry["id"], entry["code"]) for entry in body["failed"]) == sorted(
            (one, "not_found") for one in ids
        ), body
        if "collection" in body:
            assert body["collection"]["id"] == w.b_collection and body["collection"]["itemCount"] == 0, body

    return check


def export_of_nothing(stack: Stack, w: World, response: HttpResponse) -> None:
    """An export of A's ids, as B: a job of B's that lists every id as missing and holds no file."""
    accepted = ok(response, 202)
    assert accepted["jobId"] not in w.a_ids, accepted
    stack.run_exports()
    done = ok(stack.request("GET", f"{GALLERY}/exports/{accepted['jobId']}", key=w.b.key))
    if done["status"] == "succeeded":
        assert done["itemCount"] == 0 and sorted(done["missing"]) == sorted(w.a_items), done
        url = urlsplit(done["downloadUrl"])
        bucket = get_settings().media_bucket
        key = url.path[1:] if url.netloc.startswith(f"{bucket}.") else url.path.removeprefix(f"/{bucket}/")
        assert key.startswith(f"exports/{w.b.team_id}/"), key
        data = boto3.client("s3", region_name="us-east-1").get_object(Bucket=bucket, Key=key)["Body"].read()
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert archive.namelist() == ["manifest.json"], archive.namelist()
        manifest = archive.read("manifest.json").decode()
        assert not [secret for secret in w.secrets if secret in manifest], manifest
    else:
        assert done["status"] == "failed" and done["downloadUrl"] is None, done
    assert stack.request("GET", f"{GALLERY}/exports/{accepted['jobId']}", key=w.a.key).status == 404


def item_routes(w: World) -> dict[str, list[Probe]]:
    g = GALLERY
    live, trashed, variant = w.item, w.trashed, w.variant
    share_patch = {"password": None, "maxViews": 1, "allowDownload": True}
    return {
        f"GET {g}/{{itemId}}": [Probe("GET", f"{g}/{one}") for one in w.a_items],
        f"PATCH {g}/{{itemId}}": [
            Probe(
                "PATCH",
                f"{g}/{one}",
                {
                    "tags": ["stolen"],
                    "title": "Stolen",
                    "favorite": True,
                    "visibility": "public",
                    "rating": 1,
                },
            )
            for one in (live, variant)
        ],
        f"DELETE {g}/{{itemId}}": [Probe("DELETE", f"{g}/{one}") for one in (live, variant)],
        f"POST {g}/{{itemId}}/favorite": [Probe("POST", f"{g}/{live}/favorite")],
        f"POST {g}/{{itemId}}/restore": [Probe("POST", f"{g}/{trashed}/restore")],
        f"DELETE {g}/{{itemId}}/forever": [Probe("DELETE", f"{g}/{one}/forever") for one in (trashed, live)],
        f"GET {g}/{{itemId}}/download": [
            Probe("GET", f"{g}/{live}/download", query={"format": fmt}) for fmt in ("original", "png")
        ]
        + [Probe("GET", f"{g}/{trashed}/download")],
        f"POST {g}/{{itemId}}/edit": [
            Probe("POST", f"{g}/{live}/edit", {"prompt": "Make it mine", "model": "local/procedural"}),
            Probe("POST", f"{g}/{live}/edit", {"prompt": "Again", "sessionId": w.session}),
            # B's own item, continuing A's session.
            Probe("POST", f"{g}/{w.b_item}/edit", {"prompt": "Continue", "sessionId": w.session}),
            Probe(
                "POST",
                f"{g}/{live}/edit",
                {"prompt": "Replay", "model": "local/procedural"},
                headers={"idempotency-key": IDEMPOTENCY_KEY},
            ),
        ],
        f"POST {g}/{{itemId}}/open-in-chat": [Probe("POST", f"{g}/{live}/open-in-chat")],
        f"POST {g}/{{itemId}}/remix": [
            Probe("POST", f"{g}/{live}/remix"),
            Probe("POST", f"{g}/{live}/remix", headers={"idempotency-key": IDEMPOTENCY_KEY}),
        ],
        f"POST {g}/{{itemId}}/clean-background": [Probe("POST", f"{g}/{live}/clean-background")],
        f"POST {g}/{{itemId}}/split": [Probe("POST", f"{g}/{live}/split", {"rows": 2, "cols": 2})],
        f"GET {g}/{{itemId}}/share": [Probe("GET", f"{g}/{live}/share")],
        f"POST {g}/{{itemId}}/share": [
            Probe("POST", f"{g}/{live}/share", {"expiresIn": "never", "allowDownload": True}),
            Probe("POST", f"{g}/{variant}/share"),
        ],
        f"PATCH {g}/{{itemId}}/share": [Probe("PATCH", f"{g}/{live}/share", share_patch)],
        f"DELETE {g}/{{itemId}}/share": [Probe("DELETE", f"{g}/{live}/share")],
        f"GET {g}/{{itemId}}/shares": [Probe("GET", f"{g}/{live}/shares")],
    }


def collection_routes(w: World) -> dict[str, list[Probe]]:
    c, cid = COLLECTIONS, w.collection
    return {
        f"GET {c}": [Probe("GET", c, check=own_collections)],
        f"POST {c}": [Probe("POST", c, {"name": COLLECTION_NAME[:5]}, check=new_own_collection)],
        f"GET {c}/{{collectionId}}": [Probe("GET", f"{c}/{cid}")],
        f"PATCH {c}/{{collectionId}}": [
            Probe("PATCH", f"{c}/{cid}", {"name": "Stolen", "description": None})
        ],
        f"DELETE {c}/{{collectionId}}": [Probe("DELETE", f"{c}/{cid}")],
        f"POST {c}/{{collectionId}}/items": [
            Probe("POST", f"{c}/{cid}/items", {"itemIds": [w.b_item]}),
            Probe("POST", f"{c}/{cid}/items", {"itemIds": [w.variant]}),
            # B's own collection, A's items.
            Probe(
                "POST",
                f"{c}/{w.b_collection}/items",
                {"itemIds": w.a_items},
                check=all_failed(*w.a_items),
                echoes_ids=True,
            ),
        ],
        f"DELETE {c}/{{collectionId}}/items": [
            Probe("DELETE", f"{c}/{cid}/items", {"itemIds": [w.item]}),
            Probe(
                "DELETE",
                f"{c}/{w.b_collection}/items",
                {"itemIds": [w.item]},
                check=all_failed(w.item),
                echoes_ids=True,
            ),
        ],
        f"GET {c}/{{collectionId}}/share": [Probe("GET", f"{c}/{cid}/share")],
        f"POST {c}/{{collectionId}}/share": [Probe("POST", f"{c}/{cid}/share", {"allowDownload": True})],
        f"PATCH {c}/{{collectionId}}/share": [Probe("PATCH", f"{c}/{cid}/share", {"password": "mine"})],
        f"DELETE {c}/{{collectionId}}/share": [Probe("DELETE", f"{c}/{cid}/share")],
        f"GET {c}/{{collectionId}}/shares": [Probe("GET", f"{c}/{cid}/shares")],
    }


def bulk_routes(w: World) -> dict[str, list[Probe]]:
    b, ids = f"{GALLERY}/bulk", w.a_items
    failed = all_failed(*ids)
    return {
        f"POST {b}/delete": [Probe("POST", f"{b}/delete", {"itemIds": ids}, check=failed, echoes_ids=True)],
        f"POST {b}/restore": [Probe("POST", f"{b}/restore", {"itemIds": ids}, check=failed, echoes_ids=True)],
        f"POST {b}/tag": [
            Probe(
                "POST",
                f"{b}/tag",
                {"itemIds": ids, "tags": ["x"], "mode": mode},
                check=failed,
                echoes_ids=True,
            )
            for mode in ("add", "remove", "replace")
        ],
        f"POST {b}/collect": [
            Probe(
                "POST",
                f"{b}/collect",
                {"itemIds": ids, "collectionId": w.b_collection},
                check=failed,
                echoes_ids=True,
            ),
            Probe("POST", f"{b}/collect", {"itemIds": [w.b_item], "collectionId": w.collection}),
            Probe("POST", f"{b}/collect", {"itemIds": ids, "collectionId": w.collection}),
        ],
        f"POST {b}/download": [
            Probe("POST", f"{b}/download", {"itemIds": ids}, check=export_of_nothing, echoes_ids=True)
        ],
        f"POST {GALLERY}/exports": [
            Probe("POST", f"{GALLERY}/exports", {"itemIds": ids}, check=export_of_nothing, echoes_ids=True),
            Probe(
                "POST",
                f"{GALLERY}/exports",
                {"itemIds": ids},
                headers={"idempotency-key": IDEMPOTENCY_KEY},
                check=export_of_nothing,
                echoes_ids=True,
            ),
        ],
        f"GET {GALLERY}/exports/{{jobId}}": [
            Probe("GET", f"{GALLERY}/exports/{job}") for job in (w.export_job, w.generation_job)
        ],
    }


def team_routes(w: World) -> dict[str, list[Probe]]:
    generate = f"{API}/generate-image"
    own = {"prompt": "Bravo's own lighthouse", "model": "local/procedural", "async": True}
    return {
        f"GET {GALLERY}": [
            Probe("GET", GALLERY, check=only_own_items()),
            Probe("GET", GALLERY, query={"tags": TAGS[0]}, check=empty_listing),
            Probe("GET", GALLERY, query={"search": "alpha"}, check=empty_listing),
            Probe("GET", GALLERY, query={"archived": "true"}, check=empty_listing),
            Probe("GET", GALLERY, query={"collection": w.collection}),
            Probe("GET", GALLERY, query={"cursor": w.gallery_cursor}, check=listing_or_refused),
        ],
        f"GET {GALLERY}/trash": [Probe("GET", f"{GALLERY}/trash", check=own_trash)],
        f"GET {GALLERY}/facets": [Probe("GET", f"{GALLERY}/facets", check=own_facets)],
        f"GET {GALLERY}/storage": [Probe("GET", f"{GALLERY}/storage", check=own_storage)],
        f"POST {GALLERY}/uploads": [
            Probe(
                "POST",
                f"{GALLERY}/uploads",
                {"filename": "bravo.png", "contentType": "image/png", "size": 1234},
                check=new_own_upload,
            )
        ],
        f"GET {GALLERY}/uploads/{{itemId}}": [Probe("GET", f"{GALLERY}/uploads/{w.upload}")],
        f"GET {API}/account": [Probe("GET", f"{API}/account", check=own_account)],
        f"PATCH {API}/account": [Probe("PATCH", f"{API}/account", {"publicTags": True}, check=own_account)],
        f"GET {API}/account/ledger": [
            Probe("GET", f"{API}/account/ledger", check=own_ledger),
            Probe("GET", f"{API}/account/ledger", query={"cursor": w.ledger_cursor}, check=own_ledger),
        ],
        f"POST {API}/generate-image": [
            Probe("POST", generate, own, check=own_job),
            Probe("POST", generate, own, headers={"idempotency-key": IDEMPOTENCY_KEY}, check=own_job),
            Probe("POST", generate, {**own, "sourceItemId": w.item}),
            Probe("POST", generate, {**own, "sourceItemId": w.trashed}),
            Probe("POST", generate, {**own, "collectionId": w.collection}),
            Probe("POST", generate, {**own, "async": False, "sourceItemId": w.item}),
            Probe(
                "POST",
                generate,
                {"prompt": "x", "sourceItemId": w.item, "dryRun": True},
                check=same_quote_as_unknown,
                echoes_ids=True,
            ),
        ],
        f"GET {API}/jobs/{{jobId}}": [
            Probe("GET", f"{API}/jobs/{job}") for job in (w.generation_job, w.edit_job, w.export_job)
        ],
        f"GET {API}/sessions/{{sessionId}}": [Probe("GET", f"{API}/sessions/{w.session}")],
    }


MATRIX: list[Callable[[World], dict[str, list[Probe]]]] = [
    item_routes,
    collection_routes,
    bulk_routes,
    team_routes,
]


def matrix(w: World) -> dict[str, list[Probe]]:
    table: dict[str, list[Probe]] = {}
    for part in MATRIX:
        entries = part(w)
        assert not set(entries) & set(table), set(entries) & set(table)
        table.update(entries)
    return table


# --- the tests ----------------------------------------------------------------------------------
@pytest.fixture
def world(stack, team, other_team) -> World:
    return build_world(stack, team, other_team)


def test_the_matrix_covers_every_authenticated_route(stack, world: World) -> None:
    document = json.loads(OPENAPI.read_text())
    documented = {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}
    assert documented >= PUBLIC_API_ROUTES  # the exceptions are still routes of the document
    routes = authenticated_routes()
    assert len(routes) > 40

    assert set(matrix(world)) == routes


def test_another_team_reaches_nothing_of_a_team_on_any_route(stack, world: World) -> None:
    w = world
    table = matrix(w)
    assert set(table) == authenticated_routes()
    before = snapshot(stack, w)

    problems = []
    for route, probes in sorted(table.items()):
        assert probes, route
        for probe in probes:
            _, route_key, _ = stack.route_for(probe.method, probe.path)
            assert route_key == route, (route, probe)
            response = stack.request(
                probe.method,
                probe.path,
                key=w.b.key,
                json_body=probe.body,
                query=probe.query,
                headers=probe.headers,
            )
            seen = response.body.decode(errors="replace") + json.dumps(response.headers)
            try:
                assert not [secret for secret in w.secrets if secret in seen], seen[:500]
                if not probe.echoes_ids and response.status != 404:
                    assert ids_in(seen, w.a_ids) == [], seen[:500]
                probe.check(stack, w, response)
            except (AssertionError, ValueError) as failure:
                problems.append(f"{route} {probe.path} {probe.body} {probe.query}: {failure}")
    assert problems == [], "\n".join(problems)

    # Nothing B queued (its own generations, anything that slipped through) changes A either.
    stack.run_workers()
    stack.run_exports()
    after = snapshot(stack, w)
    for part in before:
        assert after[part] == before[part], part
    # And the keys were right: every route refuses a call without one.
    ids = {"itemId": w.item, "collectionId": w.collection, "jobId": w.export_job, "sessionId": w.session}
    for route in table:
        method, path = route.split(" ", 1)
        concrete = re.sub(r"\{(\w+)\}", lambda match: ids[match.group(1)], path)
        assert stack.request(method, concrete).status == 401, route


# --- the public routes ------------------------------------------------------------------------
def test_public_links_reach_only_what_they_name(stack, world: World) -> None:
    w = world
    a_item = ok(stack.request("GET", f"{GALLERY}/{w.item}", key=w.a.key))
    b_item = ok(stack.request("GET", f"{GALLERY}/{w.b_item}", key=w.b.key))

    # A share token opens what it names (controls) and nothing else: not A's other items, not B's.
    for token in (w.item_token, w.collection_token):
        for asset in ("image", "download"):
            assert stack.request("GET", f"/share/{token}/items/{w.item}/{asset}").status == 302
    for token in (w.item_token, w.collection_token):
        for outsider in (w.variant, w.trashed, w.b_item, UNKNOWN_ITEM):
            for asset in ("image", "download"):
                response = stack.request("GET", f"/share/{token}/items/{outsider}/{asset}")
                assert response.status == 404, (token, outsider, asset, response.body[:300])
                assert "location" not in response.headers
    shown = stack.request(
        "GET", f"/share/{w.collection_token}", headers={"accept": "application/json"}
    ).json()
    assert [image["id"] for image in shown["images"]] == [w.item]

    # /media: a valid link works; a signature is good only for the team and item it was made for.
    assert stack.request("GET", urlsplit(a_item["url"]).path).status == 302
    assert stack.request("GET", urlsplit(b_item["url"]).path).status == 302
    a_sig = urlsplit(a_item["url"]).path.rsplit("/", 1)[1]
    b_sig = urlsplit(b_item["url"]).path.rsplit("/", 1)[1]
    original = Rendition.ORIGINAL
    for team_id, item_id, signature in (
        (w.b.team_id, w.item, a_sig),  # A's signature under B's team
        (w.b.team_id, w.item, b_sig),  # B's signature, A's item
        (w.a.team_id, w.b_item, a_sig),  # A's signature, B's item
        (w.b.team_id, w.item, media_links.sign(w.b.team_id, w.item, original)),  # signed, wrong team
        (w.a.team_id, w.b_item, media_links.sign(w.a.team_id, w.b_item, original)),  # signed, wrong team
        (w.a.team_id, w.variant, a_sig),  # A's signature, A's other item
    ):
        response = stack.request("GET", f"/media/{team_id}/{item_id}/original/{signature}")
        assert response.status == 404, (team_id, item_id, response.body[:300])
        assert "location" not in response.headers

    # /public: A's private items are 404; a public item of B's is the control.
    ok(stack.request("PATCH", f"{GALLERY}/{w.b_item}", key=w.b.key, json_body={"visibility": "public"}))
    assert stack.request("GET", f"/public/{w.b_item}/original").status == 302
    for item_id in (w.item, w.variant, w.trashed):
        for rendition in ("original", "thumb-512"):
            response = stack.request("GET", f"/public/{item_id}/{rendition}")
            assert response.status == 404, (item_id, rendition, response.body[:300])
    feed = stack.request("GET", f"{API}/public/gallery").body.decode()
    assert not [secret for secret in w.secrets if secret in feed] and not ids_in(feed, w.a_items)
