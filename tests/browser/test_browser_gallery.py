"""Generating from the panel, searching, the favorite filter and collections, as a user sees them."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JOB_TIMEOUT_MS = 45_000  # a generation, split or export job, on a busy CI machine

# Records every text the Generate panel shows, so a "Generating" status that lasts only a moment
# (local/procedural is fast) is still seen, without sleeping or racing it.
RECORD_PANEL_TEXTS = """panel => {
  window.__panelTexts = [panel.innerText];
  new MutationObserver(() => window.__panelTexts.push(panel.innerText))
    .observe(panel, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll the API until ``check`` holds (the UI may show a change before its request returns)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the API never agreed with the page"
        time.sleep(0.1)


def test_generate_two_images_from_the_panel(stack, app, team, unique, shot):
    older = f"A {unique('pebble')} on a beach"
    team.generate(older)
    models = httpx.get(f"{stack.base_url}/api/v1/models", timeout=30).json()["models"]
    price = next(m["pricePerImage"] for m in models if m["id"] == "local/procedural")
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([older])
    before = team.credits()
    app.expect_credits(before)

    app.button("New image").click()
    panel = page.get_by_role("region", name="Generate", exact=True).or_(
        page.get_by_role("dialog", name="Generate", exact=True)
    )
    expect(panel).to_be_visible()
    prompt = f"A {unique('copper')} kettle on a stove"
    panel.get_by_role("textbox", name="Prompt", exact=True).fill(prompt)
    model = panel.get_by_role("combobox", name="Model", exact=True)
    expect(model.get_by_role("option", name="local/procedural", exact=True)).to_have_count(1)
    model.select_option(label="local/procedural")
    panel.get_by_role("combobox", name="Number of images", exact=True).select_option(label="2")
    shot(page, "generate-panel")
    panel.evaluate(RECORD_PANEL_TEXTS)
    app.button("Generate", panel).click()

    status = panel.get_by_role("status")
    expect(status).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    texts = page.evaluate("() => window.__panelTexts")
    assert any("Generating" in text for text in texts), texts
    app.expect_cards([prompt, prompt, older])
    for position in (0, 1):
        app.wait_for_image(app.cards.nth(position).get_by_role("img", name=prompt, exact=True))
    app.expect_credits(before - 2 * price)
    shot(page, "gallery-after-generate")

    assert team.credits() == before - 2 * price
    listing = team.api.get("/api/v1/gallery").json()
    assert [item["prompt"] for item in listing["items"]] == [prompt, prompt, older]
    assert {item["model"] for item in listing["items"][:2]} == {"local/procedural"}


def test_search_and_the_favorite_filter(app, team, unique, shot):
    word = unique("lighthouse")
    first, second = f"An old {word} at dusk", f"A striped {word} in fog"
    other = f"An {unique('orchard')} in bloom"
    team.generate(first)
    team.generate(second)
    [other_id] = team.generate(other)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([other, second, first])

    search = page.get_by_role("searchbox", name="Search prompts", exact=True)
    search.fill(word[4:].upper())  # part of the word, in another case
    app.expect_cards([second, first])
    shot(page, "search")
    search.fill("")
    app.expect_cards([other, second, first])

    favorite = app.button("Favorite", app.card(other))
    expect(favorite).to_have_attribute("aria-pressed", "false")
    favorite.click()
    expect(favorite).to_have_attribute("aria-pressed", "true")
    eventually(lambda: team.item(other_id).json()["favorite"] is True)

    favorites = app.combobox("Favorites")
    favorites.select_option(label="Favorites only")
    app.expect_cards([other])
    expect(app.button("Favorite", app.card(other))).to_have_attribute("aria-pressed", "true")
    shot(page, "favorites-only")
    favorites.select_option(label="Non-favorites")
    app.expect_cards([second, first])
    favorites.select_option(label="All images")
    app.expect_cards([other, second, first])

    listed = team.api.get("/api/v1/gallery", params={"favorite": "true"}).json()["items"]
    assert [item["id"] for item in listed] == [other_id]


def test_add_to_a_new_collection(app, team, unique, shot):
    chosen, left_out = f"A {unique('sneaker')} on white", f"A {unique('handbag')} on marble"
    [chosen_id] = team.generate(chosen)
    team.generate(left_out)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([left_out, chosen])

    app.button("Add to collection", app.card(chosen)).click()
    dialog = app.dialog("Add to collection")
    expect(dialog).to_be_visible()
    name = f"Product Shots {unique('set')}"
    dialog.get_by_role("textbox", name="New collection", exact=True).fill(name)
    shot(page, "add-to-collection", full_page=False)
    app.button("Save", dialog).click()
    expect(dialog).to_be_hidden()
    expect(app.notifications).to_contain_text(f"Added to {name}")

    collections = team.api.get("/api/v1/gallery/collections").json()["collections"]
    [created] = [c for c in collections if c["name"] == name]
    assert created["itemCount"] == 1
    assert created["id"] in team.item(chosen_id).json()["collections"]

    collection = app.combobox("Collection")
    expect(collection).to_contain_text(name)
    collection.select_option(label=name)
    app.expect_cards([chosen])
    shot(page, "collection-filter")
    collection.select_option(label="All collections")
    app.expect_cards([left_out, chosen])

    info_button = app.button("Info", app.card(chosen))
    info_button.click()
    info = app.dialog("Image info")
    expect(info).to_be_visible()
    expect(info.get_by_text("Collections", exact=True)).to_be_visible()
    expect(info).to_contain_text(name)
    expect(info).to_contain_text("local/procedural")
    shot(page, "info-dialog", full_page=False)
    app.button("Close", info).click()
    expect(info).to_be_hidden()
    expect(info_button).to_be_focused()


CARD_BUTTONS = (
    "Favorite",
    "Prompt",
    "Clean background",
    "Download",
    "Info",
    "Create grid",
    "Delete",
    "Add to collection",
    "Share",
    "Open",
)


def test_card_actions_prompt_grid_and_delete(app, team, unique, shot):
    """Every action button of a card: each is there, and Prompt, Create grid and Delete work."""
    prompt = f"A {unique('mosaic')} of blue tiles, four panels"
    [item_id] = team.generate(prompt)
    app.sign_in(team.key)
    page = app.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    card = app.card(prompt)
    expect(card).to_be_visible()
    for name in CARD_BUTTONS:
        expect(app.button(name, card)).to_be_visible()
    expect(card.get_by_role("checkbox", name="Select", exact=True)).to_be_visible()

    app.button("Prompt", card).click()
    prompt_dialog = app.dialog("Prompt")
    expect(prompt_dialog).to_contain_text(prompt)
    app.button("Copy prompt", prompt_dialog).click()
    assert page.evaluate("() => navigator.clipboard.readText()") == prompt
    app.button("Close", prompt_dialog).click()
    expect(prompt_dialog).to_be_hidden()

    app.button("Create grid", card).click()
    grid_dialog = app.dialog("Create grid")
    expect(grid_dialog).to_be_visible()
    grid_dialog.get_by_role("spinbutton", name="Rows", exact=True).fill("2")
    grid_dialog.get_by_role("spinbutton", name="Columns", exact=True).fill("2")
    app.button("Split", grid_dialog).click()
    expect(grid_dialog).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    shot(page, "create-grid", full_page=False)
    variants = team.item(item_id).json()["variants"]
    assert len(variants) == 4, variants
    page.keyboard.press("Escape")
    expect(grid_dialog).to_be_hidden()
    expect(app.card(prompt)).to_have_count(5)  # "4 new images at the top of the gallery"
    for position in range(5):
        app.wait_for_image(app.card(prompt).nth(position).get_by_role("img", name=prompt, exact=True))

    # The four variants carry the prompt too and may be listed above it: the original is the oldest.
    shown = app.card(prompt).count()
    app.button("Delete", app.card(prompt).last).click()
    confirm = app.dialog("Delete image?")
    expect(app.button("Cancel", confirm)).to_be_visible()
    app.button("Delete", confirm).click()
    expect(confirm).to_be_hidden()
    expect(app.card(prompt)).to_have_count(shown - 1)
    expect(app.notifications).to_contain_text("Moved to the trash")
    assert team.item(item_id).json()["deletedAt"] is not None
