"""Signing in and out, and getting around with the keyboard alone."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_app_is_served(stack, app, shot):
    app.open()
    expect(app.page.get_by_label("API key")).to_be_visible()
    expect(app.button("Sign in")).to_be_visible()
    shot(app.page, "sign-in")
    for path in ("/app", "/app/"):  # the contract: both answer the page
        answer = httpx.get(f"{stack.base_url}{path}", timeout=30)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html"), answer.headers


def test_sign_in_with_the_printed_key_then_sign_out(stack, app, browser_errors, shot):
    """The dev key `make run` prints: refused key first, then the right one, a reload, sign out."""
    browser_errors.allow(r"status of 401")  # the refused key's API call, logged by Chromium
    page = app.page
    app.open()
    key_box = page.get_by_label("API key")

    key_box.fill("glr_this-key-was-never-issued-00000000000000")
    app.button("Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="not accepted")).to_be_visible()
    expect(key_box).to_be_visible()
    expect(app.credits_label).to_be_hidden()
    assert app.stored_key() is None
    shot(page, "sign-in-refused")

    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.api_key}"}, timeout=30
    ) as api:
        account = api.get("/api/v1/account").json()
        storage = api.get("/api/v1/gallery/storage").json()
    key_box.fill(stack.api_key)
    app.button("Sign in").click()
    app.expect_credits(account["credits"])
    expect(app.storage).to_be_visible()
    expect(app.storage).to_contain_text(re.compile(r"\d.*\bof\s+" + re.escape(storage["limitFormatted"])))
    expect(key_box).to_be_hidden()
    assert app.stored_key() == stack.api_key
    shot(page, "gallery")

    page.reload()
    app.expect_credits(account["credits"])
    expect(app.button("Sign out")).to_be_visible()
    expect(key_box).to_be_hidden()

    app.button("Sign out").click()
    expect(key_box).to_be_visible()
    expect(app.button("Sign in")).to_be_visible()
    expect(app.credits_label).to_be_hidden()
    assert app.stored_key() is None


def test_new_team_sees_an_empty_gallery(app, team):
    app.sign_in(team.key)
    app.expect_credits(team.credits())
    expect(app.page.get_by_text("No images", exact=False).first).to_be_visible()
    expect(app.cards).to_have_count(0)


def _is_focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def _focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const el = document.activeElement; if (!el) return 'nothing';"
            " const name = el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40);"
            " return `${el.tagName} ${name}`; }"
        )
    )


def _tab_to(page: Page, target: Locator, *, key: str = "Tab", limit: int = 80) -> int:
    """Press Tab (or Shift+Tab) until ``target`` has the focus; how many presses it took."""
    visited = []
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if _is_focused(target):
            return presses
        visited.append(_focused(page))
    raise AssertionError(f"{key} never reached {target}; focus went through: {visited}")


def test_keyboard_reaches_search_and_card_buttons_and_escape_returns_focus(app, team, unique, shot):
    prompt = f"A {unique('teapot')} on a windowsill"
    team.generate(prompt)
    app.sign_in(team.key)
    page = app.page
    card = app.card(prompt)
    expect(card).to_be_visible()

    page.locator("body").focus()
    _tab_to(page, page.get_by_role("searchbox", name="Search prompts"))
    _tab_to(page, app.button("Favorite", card))
    info = app.button("Info", card)
    try:
        _tab_to(page, info, limit=20)
    except AssertionError:
        _tab_to(page, info, key="Shift+Tab", limit=40)  # before Favorite in the card's order
    page.keyboard.press("Enter")
    dialog = app.dialog("Image info")
    expect(dialog).to_be_visible()
    shot(page, "info-dialog", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(info).to_be_focused()

    # The same for the card's Share dialog, opened from the keyboard.
    share = app.button("Share", card)
    share.focus()
    page.keyboard.press("Enter")
    expect(app.dialog("Share image")).to_be_visible()
    page.keyboard.press("Escape")
    expect(app.dialog("Share image")).to_be_hidden()
    expect(share).to_be_focused()
