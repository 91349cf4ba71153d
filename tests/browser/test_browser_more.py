"""More of /app, as a user sees it: paging, sort and type, bulk tags and collections, the detail
view with an edit, a source image, the header's credits and storage, and cleaning a background.

Items are seeded through the API (local/procedural, unique words in every prompt); each test
checks what the page shows, and where it is cheap that the API agrees.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Request, expect

if TYPE_CHECKING:  # this folder's conftest, as mypy names it (pytest imports it as `conftest`)
    from tests.browser.conftest import Team

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JOB_TIMEOUT_MS = 45_000  # a generation, edit or derive job, on a busy CI machine
PAGE_SIZE = 24  # what /app asks for per page (`limit`): the first test checks it
UPLOAD_SETTLE_SECONDS = 30


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll the API until ``check`` holds (the UI may show a change before its request returns)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the API never agreed with the page"
        time.sleep(0.1)


def png_bytes(size: tuple[int, int] = (96, 96), *, background: str = "white", shape: str = "red") -> bytes:
    """A small PNG: a plain background with a filled circle in the middle."""
    picture = Image.new("RGB", size, background)
    width, height = size
    ImageDraw.Draw(picture).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=shape)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def upload(team: Team, data: bytes, filename: str) -> dict[str, Any]:
    """The API's upload flow: ask for a URL, PUT the bytes there, poll the status until ready."""
    started = team.api.post(
        "/api/v1/gallery/uploads", json={"filename": filename, "contentType": "image/png", "size": len(data)}
    )
    assert started.status_code == 201, started.text
    body = started.json()
    put = httpx.put(body["uploadUrl"], content=data, headers=body["headers"], timeout=60)
    assert put.status_code == 200, put.text
    deadline = time.monotonic() + UPLOAD_SETTLE_SECONDS
    while True:
        status = team.api.get(body["statusUrl"]).json()
        if status["status"] == "ready":
            return dict(status["item"])
        assert status["status"] in ("pending", "processing"), status
        assert time.monotonic() < deadline, f"the upload never became ready: {status}"
        time.sleep(0.2)


def model_info(team: Team, model_id: str) -> dict[str, Any]:
    models = team.api.get("/api/v1/models").json()["models"]
    return next(m for m in models if m["id"] == model_id)


def item_name(item: dict[str, Any]) -> str:
    """What a card is called (the contract): the title if set, else the prompt."""
    return (item.get("title") or "").strip() or item["prompt"] or "Untitled image"


def gallery_query(request: Request) -> dict[str, str] | None:
    """The query of a GET /api/v1/gallery (the listing), else None."""
    parts = urlsplit(request.url)
    if request.method != "GET" or parts.path != "/api/v1/gallery":
        return None
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


# ---------------------------------------------------------------- 1. infinite scroll


def test_infinite_scroll_and_load_more_by_keyboard(app, team, unique, shot):
    """More items than a page: one page first, the next by cursor on scroll or with "Load more"."""
    total = PAGE_SIZE + 6
    stem = unique("tile")
    prompts = [f"Paving {stem} number {n}" for n in range(total)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # one image each: every card has its own name
        list(pool.map(team.generate, prompts))
    page = app.page
    listings: list[dict[str, str]] = []
    page.on("request", lambda request: (q := gallery_query(request)) is not None and listings.append(q))

    app.sign_in(team.key)
    expect(app.cards).to_have_count(PAGE_SIZE)
    expect(page.get_by_text(f"Showing {PAGE_SIZE} of {total}", exact=True)).to_be_visible()
    load_more = app.button("Load more")
    expect(load_more).to_be_visible()
    assert len(listings) == 1, listings
    assert listings[0]["limit"] == str(PAGE_SIZE) and "cursor" not in listings[0], listings
    first_page = team.api.get("/api/v1/gallery", params={"limit": PAGE_SIZE}).json()

    # The keyboard: focus "Load more" without scrolling (so only the key can load), press Enter.
    load_more.evaluate("button => button.focus({preventScroll: true})")
    expect(load_more).to_be_focused()
    page.keyboard.press("Enter")
    expect(app.cards).to_have_count(total)
    expect(load_more).to_be_hidden()
    # The focus goes on to the first card that came, not back to the top of the page.
    expect(app.cards.nth(PAGE_SIZE).get_by_role("checkbox", name="Select")).to_be_focused()
    assert len(listings) == 2, listings
    assert listings[1]["cursor"] == first_page["nextCursor"], listings
    names = [card.get_attribute("aria-label") for card in app.cards.all()]
    assert len(set(names)) == total
    assert names == [
        item["prompt"] for item in team.api.get("/api/v1/gallery", params={"limit": 100}).json()["items"]
    ]

    # Scrolling: a fresh page shows one page again; the end of the list coming into view loads the rest.
    page.reload()
    expect(app.cards).to_have_count(PAGE_SIZE)
    app.cards.last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 2000)
    expect(app.cards).to_have_count(total)
    expect(page.get_by_text(f"Showing {total} of {total}", exact=True)).to_be_visible()
    shot(page, "all-pages")
    scrolled = [card.get_attribute("aria-label") for card in app.cards.all()]
    assert scrolled == names
    assert listings[-1]["cursor"] == first_page["nextCursor"] and len(listings) == 4, listings


# ---------------------------------------------------------------- 2. sort and type


def test_sort_oldest_first_and_the_type_filter(app, team, unique, shot):
    prompts = [f"A {unique(word)} on a shelf" for word in ("vase", "clock", "lamp")]
    for prompt in prompts:  # one after the other: oldest first
        team.generate(prompt)
    newest_first = prompts[::-1]
    app.sign_in(team.key)
    page = app.page
    app.expect_cards(newest_first)

    sort = app.combobox("Sort")
    sort.select_option(label="Oldest first")
    app.expect_cards(prompts)
    shot(page, "oldest-first")
    listed = team.api.get("/api/v1/gallery", params={"sort": "oldest"}).json()["items"]
    assert [item["prompt"] for item in listed] == prompts

    kind = app.combobox("Type")
    kind.select_option(label="Videos")
    expect(app.cards).to_have_count(0)
    empty = page.get_by_text("No images match these filters.", exact=True)
    expect(empty).to_be_visible()
    shot(page, "videos-none")
    assert team.api.get("/api/v1/gallery", params={"type": "video"}).json()["total"] == 0

    kind.select_option(label="Images")
    app.expect_cards(prompts)  # still oldest first
    expect(empty).to_be_hidden()
    sort.select_option(label="Newest first")
    app.expect_cards(newest_first)


# ---------------------------------------------------------------- 3. bulk tags


def test_tag_selected_add_then_remove(app, team, unique, shot):
    first, second, untouched = (
        f"A {unique(word)} in a field" for word in ("tractor", "scarecrow", "windmill")
    )
    [first_id] = team.generate(first)
    [second_id] = team.generate(second)
    [untouched_id] = team.generate(untouched)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([untouched, second, first])

    tag_button = app.button("Tag selected")
    expect(tag_button).to_be_disabled()
    app.select(first)
    app.select(second)
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    expect(tag_button).to_be_enabled()

    tag_button.click()
    dialog = app.dialog("Tag selected")
    expect(dialog).to_be_visible()
    dialog.get_by_role("textbox", name="Tags", exact=True).fill("alpha, beta")
    dialog.get_by_role("combobox", name="Mode", exact=True).select_option(label="Add")
    shot(page, "tag-dialog", full_page=False)
    app.button("Apply", dialog).click()
    expect(dialog).to_be_hidden()
    expect(app.notifications).to_contain_text("Tagged 2 images")
    expect(tag_button).to_be_focused()
    for item_id in (first_id, second_id):
        assert sorted(team.item(item_id).json()["tags"]) == ["alpha", "beta"]
    assert team.item(untouched_id).json()["tags"] == []

    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()  # the selection stays
    tag_button.click()
    dialog = app.dialog("Tag selected")
    dialog.get_by_role("textbox", name="Tags", exact=True).fill("alpha")
    dialog.get_by_role("combobox", name="Mode", exact=True).select_option(label="Remove")
    app.button("Apply", dialog).click()
    expect(dialog).to_be_hidden()
    expect(app.notifications).to_contain_text("Untagged 2 images")
    for item_id in (first_id, second_id):
        assert team.item(item_id).json()["tags"] == ["beta"]
    assert team.item(untouched_id).json()["tags"] == []

    # The detail view shows the tags as they are now.
    app.button("Open", app.card(first)).click()
    details = app.dialog("Image details")
    expect(details.get_by_text("beta", exact=True)).to_be_visible()
    expect(details.get_by_text("alpha", exact=False)).to_have_count(0)
    app.button("Close", details).click()
    expect(details).to_be_hidden()


# ---------------------------------------------------------------- 4. bulk add to a collection


def test_add_selected_to_a_new_collection(app, team, unique, shot):
    first, second, left_out = (f"A {unique(word)} on a desk" for word in ("stapler", "inkwell", "notebook"))
    [first_id] = team.generate(first)
    [second_id] = team.generate(second)
    team.generate(left_out)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([left_out, second, first])

    app.select(first)
    app.select(second)
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    app.button("Add selected to collection").click()
    dialog = app.dialog("Add to collection")
    expect(dialog).to_be_visible()
    name = f"Desk Things {unique('set')}"
    dialog.get_by_role("textbox", name="New collection", exact=True).fill(name)
    shot(page, "bulk-collect", full_page=False)
    app.button("Save", dialog).click()
    expect(dialog).to_be_hidden()
    expect(app.notifications).to_contain_text(f"Added to {name}")

    [created] = [
        c for c in team.api.get("/api/v1/gallery/collections").json()["collections"] if c["name"] == name
    ]
    assert created["itemCount"] == 2
    for item_id in (first_id, second_id):
        assert created["id"] in team.item(item_id).json()["collections"]

    collection = app.combobox("Collection")
    expect(collection.get_by_role("option", name=name, exact=True)).to_have_count(1)
    collection.select_option(label=name)
    app.expect_cards([second, first])
    shot(page, "collection-filter")
    collection.select_option(label="All collections")
    app.expect_cards([left_out, second, first])


# ---------------------------------------------------------------- 5. detail view and an edit


def test_detail_view_edit_history_variants_and_parent(app, team, unique, shot):
    assert model_info(team, "local/procedural")["capabilities"]["edit"] is True
    prompt = f"A {unique('sailboat')} on a calm ocean"
    [item_id] = team.generate(prompt)
    item = team.item(item_id).json()
    app.sign_in(team.key)
    page = app.page

    app.button("Open", app.card(prompt)).click()
    details = app.dialog("Image details")
    expect(details).to_be_visible()
    full = details.get_by_role("img", name=prompt, exact=True)
    expect(full).to_have_count(1)
    app.wait_for_image(full)
    assert full.evaluate("img => img.naturalWidth") == item["width"]  # the full image, not a thumbnail
    history = details.get_by_role("list", name="History", exact=True)
    variants = details.get_by_role("list", name="Variants", exact=True)
    expect(history).to_contain_text("No edits")
    expect(variants).to_contain_text("No variants")
    expect(app.button("Open parent", details)).to_have_count(0)

    edit = f"Make the {unique('storm')} sky stormy"
    details.get_by_role("textbox", name="Edit prompt", exact=True).fill(edit)
    app.button("Apply edit", details).click()
    expect(details.get_by_role("status")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(history.get_by_role("listitem")).to_contain_text(edit)
    expect(variants.get_by_role("listitem")).to_have_count(1)
    variant_button = variants.get_by_role("button")
    expect(variant_button).to_have_count(1)
    app.wait_for_image(variant_button.get_by_role("img"))
    shot(page, "detail-after-edit", full_page=False)

    [variant] = team.item(item_id).json()["variants"]
    assert variant["source"] == "edited"
    assert team.item(variant["id"]).json()["parentId"] == item_id

    variant_button.click()
    open_parent = app.button("Open parent", details)
    expect(open_parent).to_be_visible()
    expect(details.get_by_text("edited", exact=True)).to_be_visible()  # the facts: Source
    open_parent.click()
    expect(app.button("Open parent", details)).to_have_count(0)
    expect(details.get_by_role("img", name=prompt, exact=True).first).to_be_visible()
    app.button("Close", details).click()
    expect(details).to_be_hidden()
    expect(app.cards).to_have_count(2)  # the variant is at the top of the grid too


# ---------------------------------------------------------------- 6. a source image


def test_generate_with_a_source_image(app, team, unique, shot):
    assert model_info(team, "local/procedural")["capabilities"]["sourceImage"] is True
    older = f"A {unique('pinecone')} on moss"
    team.generate(older)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([older])

    panel = app.open_generate_panel()
    prompt = f"A {unique('fox')} made from this sketch"
    panel.get_by_role("textbox", name="Prompt", exact=True).fill(prompt)
    source = panel.get_by_label("Source image (optional)", exact=True)
    expect(source).to_be_enabled()
    source.set_input_files(
        {"name": "sketch.png", "mimeType": "image/png", "buffer": png_bytes(shape="orange")}
    )
    app.button("Generate", panel).click()
    expect(panel.get_by_role("status")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    app.expect_cards([prompt, older])
    app.wait_for_image(app.card(prompt).get_by_role("img", name=prompt, exact=True))
    shot(page, "from-source")

    newest = team.api.get("/api/v1/gallery").json()["items"][0]
    assert newest["prompt"] == prompt
    assert newest["generation"]["request"]["sourceImage"] is True


# ---------------------------------------------------------------- 7. credits and storage


def test_credits_and_storage_follow_a_generation(app, team, unique):
    price = model_info(team, "local/procedural")["pricePerImage"]
    app.sign_in(team.key)
    page = app.page
    before = team.credits()
    app.expect_credits(before)
    expect(app.storage).to_contain_text(re.compile(r"\bof\b"))
    expect(app.storage).not_to_contain_text("?")
    initial_storage = app.storage.inner_text()

    panel = app.open_generate_panel()
    prompt = f"A {unique('cactus')} in a clay pot"
    panel.get_by_role("textbox", name="Prompt", exact=True).fill(prompt)
    app.button("Generate", panel).click()
    expect(panel.get_by_role("status")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    app.expect_cards([prompt])
    app.expect_credits(before - price)
    expect(app.storage).not_to_have_text(initial_storage)
    assert team.credits() == before - price
    storage = team.api.get("/api/v1/gallery/storage").json()
    assert storage["used"] > 0
    expect(app.storage).to_contain_text(f"{storage['usedFormatted']} of {storage['limitFormatted']}")
    assert page.get_by_role("progressbar", name="Storage used").get_attribute("aria-valuetext") == (
        f"{storage['usedFormatted']} of {storage['limitFormatted']}"
    )


# ---------------------------------------------------------------- 8. clean background


def test_clean_background_of_an_upload(app, team, shot):
    uploaded = upload(team, png_bytes((128, 128), background="white", shape="blue"), "blue-dot.png")
    name = item_name(uploaded)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([name])
    app.wait_for_image(app.card(name).get_by_role("img"))

    app.button("Clean background", app.card(name)).click()
    expect(app.notifications).to_contain_text("Background removed", timeout=JOB_TIMEOUT_MS)
    expect(app.cards).to_have_count(2)
    app.wait_for_image(app.cards.first.get_by_role("img"))
    shot(page, "cleaned")

    [variant] = team.item(uploaded["id"]).json()["variants"]
    assert variant["source"] == "derived"
    derived = team.item(variant["id"]).json()
    assert derived["parentId"] == uploaded["id"] and derived["mimeType"] == "image/png"
    expect(app.cards.first).to_have_accessible_name(item_name(derived))  # the new image, at the top
    cleaned = team.api.get(f"/api/v1/gallery/{derived['id']}/download", params={"format": "original"})
    assert cleaned.status_code == 200, cleaned.text
    with Image.open(io.BytesIO(cleaned.content)) as picture:
        rgba = picture.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0  # the white border is transparent now
        assert rgba.getpixel((64, 64)) == (0, 0, 255, 255)  # the blue dot is not

    app.button("Open", app.card(name).last).click()
    details = app.dialog("Image details")
    variants = details.get_by_role("list", name="Variants", exact=True)
    expect(variants.get_by_role("button")).to_have_count(1)
    expect(variants).to_contain_text("derived")
    app.button("Close", details).click()
    expect(details).to_be_hidden()
