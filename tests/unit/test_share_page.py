"""The public share page, password form and message pages: tags, previews and escaping."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from galleria.shares.page import (
    PageImage,
    SharePage,
    render_message,
    render_password_form,
    render_share_page,
)

_VOID = {"meta", "img", "input", "br", "hr", "link"}
HOSTILE = "<script>alert(1)</script>\"'&"
PAGE_URL = "https://gallery.example/share/tok_123"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""


class Collector(HTMLParser):
    """Records every element with its attributes and its own text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in _VOID:
            self._stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._stack[-1].text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def meta(self, key: str) -> str | None:
        found = [
            e
            for e in self.elements
            if e.tag == "meta" and key in (e.attrs.get("property"), e.attrs.get("name"))
        ]
        assert len(found) <= 1, key
        return found[0].attrs.get("content") if found else None

    def text(self) -> str:
        return "".join(e.text for e in self.elements)


def parse(document: str) -> Collector:
    collector = Collector()
    collector.feed(document)
    collector.close()
    return collector


def image(n: int = 1, **overrides: object) -> PageImage:
    values: dict[str, object] = {
        "view_url": f"https://s3.example/thumb{n}.webp?X-Amz-Signature=abc&X-Amz-Expires=900",
        "width": 1024,
        "height": 768,
        "alt": f"A red fox {n}",
        "prompt": f"A red fox {n}",
        "model": "sdxl-turbo",
        "download_url": None,
    }
    values.update(overrides)
    return PageImage(**values)  # type: ignore[arg-type]


def item_page(**overrides: object) -> SharePage:
    values: dict[str, object] = {
        "title": "Red fox",
        "page_url": PAGE_URL,
        "images": [image()],
        "description": "A red fox in the snow",
    }
    values.update(overrides)
    return SharePage(**values)  # type: ignore[arg-type]


def all_pages() -> list[str]:
    return [
        render_share_page(item_page()),
        render_password_form(PAGE_URL),
        render_message("Not found", "This share does not exist."),
    ]


@pytest.mark.parametrize("document", all_pages(), ids=["share", "password", "message"])
def test_every_page_has_the_document_basics(document: str) -> None:
    parsed = parse(document)
    assert document.startswith("<!doctype html>")
    assert parsed.find("html", lang="en")
    assert parsed.find("meta", charset="utf-8")
    assert parsed.meta("viewport") == "width=device-width, initial-scale=1"
    assert parsed.meta("robots") == "noindex, nofollow"


def test_share_page_has_open_graph_tags() -> None:
    parsed = parse(render_share_page(item_page()))
    assert parsed.find("title")[0].text == "Red fox"
    assert parsed.meta("og:title") == "Red fox"
    assert parsed.meta("og:type") == "website"
    assert parsed.meta("og:url") == PAGE_URL
    assert parsed.meta("og:image") == image().view_url
    assert parsed.meta("og:image:width") == "1024"
    assert parsed.meta("og:image:height") == "768"
    assert parsed.meta("og:description") == "A red fox in the snow"
    assert parsed.meta("twitter:card") == "summary_large_image"


def test_optional_open_graph_tags_are_left_out() -> None:
    page = item_page(images=[image(width=None, height=None)], description=None)
    parsed = parse(render_share_page(page))
    assert parsed.meta("og:image") == image().view_url
    assert parsed.meta("og:image:width") is None
    assert parsed.meta("og:image:height") is None
    assert parsed.meta("og:description") is None
    img = parsed.find("img")[0]
    assert "width" not in img.attrs
    assert "height" not in img.attrs


def test_empty_share_has_no_og_image_and_no_img() -> None:
    parsed = parse(render_share_page(item_page(images=[])))
    assert parsed.meta("og:image") is None
    assert parsed.find("img") == []
    assert parsed.meta("og:title") == "Red fox"


def test_item_image_attributes() -> None:
    parsed = parse(render_share_page(item_page()))
    [img] = parsed.find("img")
    assert img.attrs["src"] == image().view_url
    assert img.attrs["alt"] == "A red fox 1"
    assert img.attrs["width"] == "1024"
    assert img.attrs["height"] == "768"
    assert "loading" not in img.attrs


def test_prompt_and_model_are_shown_when_given() -> None:
    parsed = parse(render_share_page(item_page()))
    text = parsed.text()
    assert "A red fox 1" in text
    assert "sdxl-turbo" in text
    assert parsed.find("figcaption")


def test_prompt_and_model_are_absent_when_hidden() -> None:
    hidden = image(alt="Shared image", prompt=None, model=None)
    document = render_share_page(item_page(images=[hidden], description=None))
    assert "A red fox" not in document
    assert "sdxl-turbo" not in document
    assert parse(document).find("img")[0].attrs["alt"] == "Shared image"


def test_download_link_only_when_allowed() -> None:
    url = "https://s3.example/original.png?X-Amz-Signature=def&response-content-disposition=attachment"
    parsed = parse(render_share_page(item_page(images=[image(download_url=url)])))
    [link] = parsed.find("a", **{"class": "download"})
    assert link.attrs["href"] == url
    assert "download" in link.attrs
    assert link.text == "Download"

    without = parse(render_share_page(item_page()))
    assert without.find("a") == []
    assert "Download" not in without.text()


def test_collection_grid_lazy_loads_all_but_the_first() -> None:
    page = item_page(title="Foxes", images=[image(1), image(2), image(3)])
    parsed = parse(render_share_page(page))
    imgs = parsed.find("img")
    assert [i.attrs["src"] for i in imgs] == [image(n).view_url for n in (1, 2, 3)]
    assert "loading" not in imgs[0].attrs
    assert [i.attrs.get("loading") for i in imgs[1:]] == ["lazy", "lazy"]
    assert parsed.find("div", **{"class": "grid"})
    assert parsed.meta("og:image") == image(1).view_url


def test_password_form_fields_and_action() -> None:
    parsed = parse(render_password_form(PAGE_URL))
    [form] = parsed.find("form")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == PAGE_URL
    [label] = parsed.find("label", **{"for": "password"})
    assert label.text == "Password"
    [password_input] = parsed.find("input", id="password")
    assert password_input.attrs["type"] == "password"
    assert password_input.attrs["name"] == "password"
    assert "required" in password_input.attrs
    assert password_input.attrs["autocomplete"] == "current-password"
    assert parsed.find("button", type="submit")
    assert not [e for e in parsed.elements if e.attrs.get("role") == "alert"]


def test_password_form_has_no_preview_of_the_share() -> None:
    parsed = parse(render_password_form(PAGE_URL, error="Wrong password"))
    assert parsed.meta("og:image") is None
    assert parsed.find("img") == []
    [alert] = [e for e in parsed.elements if e.attrs.get("role") == "alert"]
    assert alert.text == "Wrong password"


def test_password_form_escapes_action_and_error() -> None:
    url = 'https://gallery.example/share/t"><script>x</script>?a=1&b=2'
    document = render_password_form(url, error=HOSTILE)
    assert "<script" not in document
    parsed = parse(document)
    assert parsed.find("form")[0].attrs["action"] == url
    assert [e.text for e in parsed.elements if e.attrs.get("role") == "alert"] == [HOSTILE]


def test_message_page() -> None:
    parsed = parse(render_message("Link expired", "This share link has expired."))
    assert parsed.find("title")[0].text == "Link expired"
    assert parsed.find("h1")[0].text == "Link expired"
    assert "This share link has expired." in parsed.text()
    assert parsed.meta("og:image") is None
    assert parsed.find("img") == []


def test_message_page_escapes() -> None:
    document = render_message(HOSTILE, HOSTILE)
    assert "<script" not in document
    parsed = parse(document)
    assert parsed.find("title")[0].text == HOSTILE
    assert parsed.find("p")[0].text == HOSTILE


def test_hostile_prompt_and_title_are_escaped() -> None:
    hostile_image = image(
        alt=HOSTILE, prompt=HOSTILE, model=HOSTILE, view_url='https://x.example/a"b?c=1&d=<2>'
    )
    page = item_page(title=HOSTILE, description=HOSTILE, images=[hostile_image])
    document = render_share_page(page)
    assert "<script" not in document
    parsed = parse(document)
    assert parsed.find("title")[0].text == HOSTILE
    assert parsed.find("h1")[0].text == HOSTILE
    assert parsed.find("p", **{"class": "prompt"})[0].text == HOSTILE
    assert parsed.meta("og:title") == HOSTILE
    assert parsed.meta("og:description") == HOSTILE
    img = parsed.find("img")[0]
    assert img.attrs["alt"] == HOSTILE
    assert img.attrs["src"] == hostile_image.view_url
    assert parsed.meta("og:image") == hostile_image.view_url


def test_a_video_is_a_player_and_gets_no_preview_image() -> None:
    page = parse(
        render_share_page(item_page(images=[image(video=True, view_url="https://s3.example/v.mp4")]))
    )

    [video] = page.find("video")
    assert video.attrs["src"] == "https://s3.example/v.mp4" and "controls" in video.attrs
    assert video.attrs["aria-label"] == "A red fox 1"
    assert not page.find("img") and page.meta("og:image") is None


def test_a_next_page_link_is_shown_only_when_there_is_one() -> None:
    more = parse(render_share_page(item_page(next_url=f"{PAGE_URL}?cursor=abc&x=<1>")))
    last = parse(render_share_page(item_page()))

    assert [a.attrs["href"] for a in more.find("a", **{"class": "more"})] == [f"{PAGE_URL}?cursor=abc&x=<1>"]
    assert not last.find("a", **{"class": "more"})


def test_previews_can_be_turned_off() -> None:
    page = parse(render_share_page(item_page(preview=False)))

    assert page.meta("og:image") is None and page.meta("og:title") is None
    assert page.meta("robots") == "noindex, nofollow" and page.find("img")
