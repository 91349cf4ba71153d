"""A share link over real HTTP: made through the API, opened as a browser would open it."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import httpx
import pytest
from PIL import Image

pytestmark = pytest.mark.e2e


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.downloads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "img" and fields.get("src"):
            self.sources.append(str(fields["src"]))
        if tag == "a" and "download" in fields and fields.get("href"):
            self.downloads.append(str(fields["href"]))


def images_on(html: str) -> _Images:
    parser = _Images()
    parser.feed(html)
    return parser


@pytest.fixture
def item_id(client: httpx.Client) -> str:
    made = client.post(
        "/api/v1/generate-image", json={"prompt": "A harbour at dawn", "model": "local/procedural"}
    )
    assert made.status_code == 200, made.text
    return made.json()["images"][0]["galleryId"]


def test_a_shared_image_opens_like_in_a_browser(client: httpx.Client, item_id: str) -> None:
    shared = client.post(f"/api/v1/gallery/{item_id}/share", json={"allowDownload": True})
    assert shared.status_code == 201, shared.text
    share_url = shared.json()["shareUrl"]

    with httpx.Client(timeout=30, follow_redirects=True) as browser:  # no key, like a visitor
        page = browser.get(share_url, headers={"accept": "text/html"})
        found = images_on(page.text)
        picture = browser.get(found.sources[0])
        download = browser.get(found.downloads[0])

    assert page.status_code == 200 and "A harbour at dawn" in page.text
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert picture.status_code == 200 and Image.open(io.BytesIO(picture.content)).format == "WEBP"
    assert download.status_code == 200 and Image.open(io.BytesIO(download.content)).format == "PNG"
    assert client.get(f"/api/v1/gallery/{item_id}/share").json()["views"] == 1


def test_a_password_link_lets_the_visitor_in_with_the_cookie(client: httpx.Client, item_id: str) -> None:
    share_url = client.post(f"/api/v1/gallery/{item_id}/share", json={"password": "harbour"}).json()[
        "shareUrl"
    ]

    with httpx.Client(timeout=30) as browser:
        locked = browser.get(share_url)
        wrong = browser.post(share_url, data={"password": "nope"})
        right = browser.post(share_url, data={"password": "harbour"})
        # httpx keeps Secure cookies for https only; a browser treats 127.0.0.1 as secure.
        cookie = right.headers["set-cookie"].split(";")[0]
        opened = browser.get(share_url, headers={"cookie": cookie})

    assert locked.status_code == 401 and "<form" in locked.text
    assert wrong.status_code == 401 and "Wrong password" in wrong.text
    assert right.status_code == 303 and right.headers["location"] == share_url
    assert opened.status_code == 200 and "A harbour at dawn" in opened.text
    record = client.get(f"/api/v1/gallery/{item_id}/share").json()
    assert (record["views"], record["failedPasswordAttempts"]) == (1, 1)


def test_the_public_feed_needs_no_key(local_stack) -> None:
    response = httpx.get(f"{local_stack.base_url}/api/v1/public/gallery", timeout=30)

    assert response.status_code == 200
    assert set(response.json()) == {"items", "page", "pageSize", "nextCursor"}
