"""The public side of share links (no auth): pages, passwords, views, assets, and the link's
life with its item, through the public function's handler."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import boto3
import pytest
from PIL import Image

from galleria import clock
from galleria.config import get_settings
from galleria.shares.viewing import MAX_WRONG_PASSWORDS
from galleria_local.in_process import HttpResponse

GALLERY = "/api/v1/gallery"
JSON = {"accept": "application/json"}


class _Page(HTMLParser):
    """The parts of a share page a visitor (or a link preview) uses."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}
        self.forms: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "img":
            self.images.append(fields)
        elif tag == "a":
            self.links.append(fields)
        elif tag == "form":
            self.forms.append(fields)
        elif tag == "meta" and fields.get("content") is not None:
            self.meta[str(fields.get("property") or fields.get("name"))] = str(fields["content"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(response: HttpResponse) -> _Page:
    page = _Page()
    page.feed(response.body.decode())
    return page


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def item_id(stack, team) -> str:
    return stack.make_items(team, 1, prompt="A red kite over the dunes")[0]


def share(stack, team, item_id: str, **options) -> dict:
    made = stack.request("POST", f"{GALLERY}/{item_id}/share", key=team.key, json_body=options)
    assert made.status == 201, made.body
    return made.json()


def visit(stack, token: str, **kwargs) -> HttpResponse:
    return stack.request("GET", f"/share/{token}", **kwargs)


def management(stack, team, item_id: str) -> dict:
    return stack.request("GET", f"{GALLERY}/{item_id}/share", key=team.key).json()


def fetch(url: str) -> bytes:
    """What a browser gets from a presigned URL (moto's bucket, path or virtual-host style)."""
    parts = urlsplit(url)
    bucket = get_settings().media_bucket
    if parts.netloc.startswith(f"{bucket}."):
        key = parts.path[1:]
    else:
        assert parts.path.startswith(f"/{bucket}/"), url
        key = parts.path.removeprefix(f"/{bucket}/")
    return boto3.client("s3", region_name="us-east-1").get_object(Bucket=bucket, Key=key)["Body"].read()


# --- the page ------------------------------------------------------------------------------
def test_the_page_shows_the_image_prompt_and_model_and_is_not_indexed(stack, team, item_id) -> None:
    token = share(stack, team, item_id)["token"]

    response = visit(stack, token)
    page = parse(response)

    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert page.meta["robots"] == "noindex, nofollow"
    assert response.headers["cache-control"] == "no-store"
    assert "A red kite over the dunes" in "".join(page.text)
    assert "Model: local/procedural" in "".join(page.text)
    assert page.meta["og:title"] == "A red kite over the dunes"
    assert page.meta["og:image"] == f"https://testserver/share/{token}/items/{item_id}/image"
    # The image behind the page's <img> is this item's thumbnail, through a presigned URL.
    [img] = page.images
    src = img["src"]
    assert src is not None and path_of(src) == f"/share/{token}/items/{item_id}/image"
    redirect = stack.request("GET", path_of(src))
    assert redirect.status == 302 and "X-Amz-Expires=900" in redirect.headers["location"]
    picture = Image.open(io.BytesIO(fetch(redirect.headers["location"])))
    assert max(picture.size) == 512 and picture.format == "WEBP"
    # No download button unless the link allows downloads.
    assert not [link for link in page.links if "download" in (link.get("href") or "")]


def test_json_is_the_same_page_as_data(stack, team, item_id) -> None:
    token = share(stack, team, item_id, allowDownload=True)["token"]

    body = visit(stack, token, headers=JSON).json()

    assert body["token"] == token and body["type"] == "item"
    [image] = body["images"]
    assert image["id"] == item_id and image["prompt"] == "A red kite over the dunes"
    assert image["model"] == "local/procedural"
    assert image["imageUrl"] == f"https://testserver/share/{token}/items/{item_id}/image"
    assert image["downloadUrl"] == f"https://testserver/share/{token}/items/{item_id}/download"
    assert body["views"] == 1
    assert "teamId" not in str(body) and team.team_id not in str(body)


def test_download_follows_allow_download(stack, team, item_id) -> None:
    token = share(stack, team, item_id)["token"]

    refused = stack.request("GET", f"/share/{token}/download", headers=JSON)
    stack.request("PATCH", f"{GALLERY}/{item_id}/share", key=team.key, json_body={"allowDownload": True})
    page = parse(visit(stack, token))
    allowed = stack.request("GET", f"/share/{token}/download")

    assert refused.status == 403 and refused.json()["code"] == "download_not_allowed"
    buttons = [link for link in page.links if (link.get("href") or "").endswith("/download")]
    assert len(buttons) == 1 and "download" in buttons[0]
    assert allowed.status == 302
    location = allowed.headers["location"]
    assert "X-Amz-Expires=900" in location and "attachment" in location
    assert Image.open(io.BytesIO(fetch(location))).format == "PNG"


def test_hidden_metadata_leaves_no_prompt_on_the_page_or_in_the_file(stack, team) -> None:
    # An item whose stored original carries metadata: a PNG text chunk and EXIF.
    item_id = stack.make_items(team, 1, prompt="Secret recipe for sourdough")[0]
    item = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key).json()
    bucket = get_settings().media_bucket
    s3 = boto3.client("s3", region_name="us-east-1")
    key = f"teams/{team.team_id}/items/{item_id}/original.png"
    original = Image.open(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", item["prompt"])
    exif = Image.Exif()
    exif[0x010E] = "Secret recipe for sourdough"  # ImageDescription
    buffer = io.BytesIO()
    original.save(buffer, "PNG", pnginfo=info, exif=exif.tobytes())
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue(), ContentType="image/png")
    token = share(stack, team, item_id, showMetadata=False, allowDownload=True)["token"]

    page = visit(stack, token)
    data = visit(stack, token, headers=JSON).json()
    download = stack.request("GET", f"/share/{token}/download")
    file = fetch(download.headers["location"])

    assert b"sourdough" not in page.body and "sourdough" not in str(data)
    assert data["images"][0]["prompt"] is None and data["images"][0]["model"] is None
    assert b"sourdough" not in file
    stripped = Image.open(io.BytesIO(file))
    assert stripped.format == "PNG" and not stripped.info.get("exif") and not getattr(stripped, "text", {})
    assert stripped.size == original.size


def test_unknown_and_malformed_tokens_are_404(stack, team, item_id) -> None:
    token = share(stack, team, item_id)["token"]
    unknown = token[:-1] + ("A" if token[-1] != "A" else "B")

    for path in (f"/share/{unknown}", "/share/short", f"/share/{unknown}/items/{item_id}/image"):
        response = stack.request("GET", path, headers=JSON)
        assert response.status == 404, path
        assert response.json()["code"] == "not_found"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
    html = visit(stack, unknown)
    assert html.status == 404 and html.headers["content-type"].startswith("text/html")


def test_an_image_not_under_the_link_is_404(stack, team, item_id) -> None:
    other_item = stack.make_items(team, 1)[0]
    token = share(stack, team, item_id, allowDownload=True)["token"]

    for path in (f"/share/{token}/items/{other_item}/image", f"/share/{token}/items/{other_item}/download"):
        assert stack.request("GET", path).status == 404


# --- expiry, views, revoke -------------------------------------------------------------------
def test_an_expired_link_is_410(stack, team, item_id, monkeypatch) -> None:
    start = clock.now()
    token = share(stack, team, item_id, expiresIn="1h")["token"]

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=59))
    before = visit(stack, token)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=1, seconds=1))
    after = visit(stack, token, headers=JSON)
    image = stack.request("GET", f"/share/{token}/items/{item_id}/image")

    assert before.status == 200
    assert after.status == 410 and after.json()["code"] == "gone"
    assert image.status == 410


def test_max_views_stops_the_link_after_that_many_views(stack, team, item_id) -> None:
    token = share(stack, team, item_id, maxViews=2)["token"]

    statuses = [visit(stack, token).status for _ in range(3)]

    assert statuses == [200, 200, 410]
    # A used-up link is no longer the item's active one; its record keeps the count.
    assert stack.request("GET", f"{GALLERY}/{item_id}/share", key=team.key).status == 404
    history = stack.request("GET", f"{GALLERY}/{item_id}/shares", key=team.key).json()["shares"]
    assert history[0]["views"] == 2 and history[0]["lastViewedAt"]


def test_a_cursor_does_not_get_around_views(stack, team, item_id) -> None:
    token = share(stack, team, item_id, maxViews=2)["token"]

    statuses = [stack.request("GET", f"/share/{token}", query={"cursor": "x"}).status for _ in range(3)]

    assert statuses == [200, 200, 410]


def test_views_count_pages_not_assets_and_twenty_parallel_views_count_twenty(stack, team, item_id) -> None:
    token = share(stack, team, item_id, allowDownload=True)["token"]
    stack.request("GET", f"/share/{token}/items/{item_id}/image")
    stack.request("GET", f"/share/{token}/download")
    assert management(stack, team, item_id)["views"] == 0

    statuses: list[int] = []
    lock = threading.Lock()

    def view() -> None:
        status = visit(stack, token).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=view) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 20
    after = management(stack, team, item_id)
    assert after["views"] == 20 and after["lastViewedAt"]


def test_a_revoked_link_is_404_and_keeps_its_audit(stack, team, item_id) -> None:
    token = share(stack, team, item_id)["token"]
    visit(stack, token)

    stack.request("DELETE", f"{GALLERY}/{item_id}/share", key=team.key)
    response = visit(stack, token, headers=JSON)
    history = stack.request("GET", f"{GALLERY}/{item_id}/shares", key=team.key).json()["shares"]

    assert response.status == 404
    assert history[0]["token"] == token and history[0]["views"] == 1 and history[0]["revokedAt"]


# --- passwords -------------------------------------------------------------------------------
def test_a_password_link_shows_a_form_and_nothing_of_the_image(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="open sesame")["token"]

    response = visit(stack, token)
    page = parse(response)

    assert response.status == 401
    assert page.forms == [{"method": "post", "action": f"https://testserver/share/{token}"}]
    assert b"red kite" not in response.body and not page.images and "og:image" not in page.meta
    assert visit(stack, token, headers=JSON).json()["code"] == "password_required"
    assert stack.request("GET", f"/share/{token}/items/{item_id}/image").status == 401
    assert management(stack, team, item_id)["views"] == 0


def test_the_right_password_sets_a_cookie_for_this_link_only(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="open sesame")["token"]

    posted = stack.request(
        "POST",
        f"/share/{token}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        raw_body="password=open+sesame",
    )
    [cookie] = posted.cookies
    pair = cookie.split(";")[0]
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    page = visit(stack, token, cookies=[pair])
    image = stack.request("GET", f"/share/{token}/items/{item_id}/image", cookies=[pair])

    assert posted.status == 303 and posted.headers["location"] == f"https://testserver/share/{token}"
    assert {"HttpOnly", "Secure", "SameSite=Lax", f"Path=/share/{token}"} <= attributes
    assert page.status == 200 and b"red kite" in page.body
    assert image.status == 302
    assert management(stack, team, item_id)["views"] == 1  # the page view, not the POST
    # The cookie is bound to this link: another password link does not accept it.
    other_item = stack.make_items(team, 1)[0]
    other = share(stack, team, other_item, password="open sesame")["token"]
    forged = pair.replace(pair.split("=")[0], f"galleria_share_{other[:12]}")
    assert visit(stack, other, cookies=[forged]).status == 401


def test_the_password_header_works_for_scripts(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="open sesame")["token"]

    page = visit(stack, token, headers={**JSON, "x-share-password": "open sesame"})
    posted = stack.request("POST", f"/share/{token}", headers={**JSON, "x-share-password": "open sesame"})
    json_body = stack.request(
        "POST",
        f"/share/{token}",
        headers={**JSON, "content-type": "application/json"},
        json_body={"password": "open sesame"},
    )

    assert page.status == 200 and page.json()["images"][0]["id"] == item_id
    assert posted.status == 200 and posted.cookies
    assert json_body.status == 200


def test_changing_the_password_ends_earlier_access(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="first")["token"]
    posted = stack.request("POST", f"/share/{token}", headers={"x-share-password": "first"})
    pair = posted.cookies[0].split(";")[0]

    stack.request("PATCH", f"{GALLERY}/{item_id}/share", key=team.key, json_body={"password": "second"})

    assert visit(stack, token, cookies=[pair]).status == 401


def test_wrong_passwords_are_counted_and_limited_per_link(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="right")["token"]
    other_token = share(stack, team, stack.make_items(team, 1)[0], password="right")["token"]

    wrong = [
        stack.request("POST", f"/share/{token}", headers={**JSON, "x-share-password": f"guess{n}"})
        for n in range(MAX_WRONG_PASSWORDS)
    ]
    limited = stack.request("POST", f"/share/{token}", headers={**JSON, "x-share-password": "right"})
    limited_html = stack.request("POST", f"/share/{token}", headers={"x-share-password": "right"})
    elsewhere = stack.request("POST", f"/share/{other_token}", headers={**JSON, "x-share-password": "right"})

    assert {response.status for response in wrong} == {401}
    assert {response.json()["code"] for response in wrong} == {"invalid_password"}
    assert limited.status == 429 and limited.json()["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 900
    assert limited_html.status == 429 and b"<form" in limited_html.body
    assert elsewhere.status == 200
    record = management(stack, team, item_id)
    assert record["failedPasswordAttempts"] == MAX_WRONG_PASSWORDS and record["views"] == 0


def test_the_password_window_ends(stack, team, item_id, monkeypatch) -> None:
    token = share(stack, team, item_id, password="right")["token"]
    start = clock.now()
    for n in range(MAX_WRONG_PASSWORDS):
        stack.request("POST", f"/share/{token}", headers={"x-share-password": f"guess{n}"})

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=16))
    later = stack.request("POST", f"/share/{token}", headers={**JSON, "x-share-password": "right"})

    assert later.status == 200


def test_right_passwords_do_not_use_up_the_limit(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="right")["token"]

    answers = [
        stack.request("POST", f"/share/{token}", headers={"x-share-password": "right"}).status
        for _ in range(MAX_WRONG_PASSWORDS + 2)
    ]

    assert set(answers) == {303}


def test_a_form_without_a_password_is_400_with_the_form(stack, team, item_id) -> None:
    token = share(stack, team, item_id, password="right")["token"]

    response = stack.request(
        "POST", f"/share/{token}", headers={"content-type": "application/x-www-form-urlencoded"}, raw_body=""
    )

    assert response.status == 400 and b"<form" in response.body


# --- the link and its item -------------------------------------------------------------------
def test_trash_suspends_the_link_restore_brings_it_back_forever_ends_it(stack, team, item_id) -> None:
    token = share(stack, team, item_id)["token"]

    stack.request("DELETE", f"{GALLERY}/{item_id}", key=team.key)
    in_trash = visit(stack, token)
    stack.request("POST", f"{GALLERY}/{item_id}/restore", key=team.key)
    restored = visit(stack, token)
    stack.request("DELETE", f"{GALLERY}/{item_id}", key=team.key)
    stack.request("DELETE", f"{GALLERY}/{item_id}/forever", key=team.key)
    erased = visit(stack, token)

    assert (in_trash.status, restored.status, erased.status) == (404, 200, 404)
    history = stack.request("GET", f"{GALLERY}/{item_id}/shares", key=team.key)
    assert history.status == 404  # the item itself is gone
    shares_table = get_settings().shares_table
    record = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=shares_table, Key={"pk": {"S": f"SHARE#{token}"}}
    )["Item"]
    assert "revoked_at" in record  # ended for good, kept for audit


# --- collections -----------------------------------------------------------------------------
def test_a_collection_link_shows_its_live_items_each_viewable_and_downloadable(stack, team) -> None:
    first, second, outsider = stack.make_items(team, 3)
    collection = stack.request(
        "POST", f"{GALLERY}/collections", key=team.key, json_body={"name": "Dunes"}
    ).json()["id"]
    stack.request(
        "POST",
        f"{GALLERY}/collections/{collection}/items",
        key=team.key,
        json_body={"itemIds": [first, second]},
    )
    made = stack.request(
        "POST", f"{GALLERY}/collections/{collection}/share", key=team.key, json_body={"allowDownload": True}
    ).json()
    token = made["token"]

    page = parse(visit(stack, token))
    body = visit(stack, token, headers=JSON).json()

    assert body["type"] == "collection" and body["title"] == "Dunes"
    assert {image["id"] for image in body["images"]} == {first, second}
    assert len(page.images) == 2
    for item in (first, second):
        assert stack.request("GET", f"/share/{token}/items/{item}/image").status == 302
        assert stack.request("GET", f"/share/{token}/items/{item}/download").status == 302
    assert stack.request("GET", f"/share/{token}/items/{outsider}/image").status == 404
    assert stack.request("GET", f"/share/{token}/download", headers=JSON).status == 400

    # Trashed or removed items leave the page and their URLs stop working.
    stack.request("DELETE", f"{GALLERY}/{first}", key=team.key)
    stack.request(
        "DELETE", f"{GALLERY}/collections/{collection}/items", key=team.key, json_body={"itemIds": [second]}
    )
    after = visit(stack, token, headers=JSON).json()
    assert after["images"] == []
    assert stack.request("GET", f"/share/{token}/items/{first}/image").status == 404
    assert stack.request("GET", f"/share/{token}/items/{second}/download").status == 404


def test_deleting_a_collection_ends_its_link(stack, team) -> None:
    collection = stack.request(
        "POST", f"{GALLERY}/collections", key=team.key, json_body={"name": "Dunes"}
    ).json()["id"]
    token = stack.request("POST", f"{GALLERY}/collections/{collection}/share", key=team.key).json()["token"]

    stack.request("DELETE", f"{GALLERY}/collections/{collection}", key=team.key)

    assert visit(stack, token).status == 404
