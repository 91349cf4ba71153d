"""At phone width (390 px) nothing overflows, the cards show and the dialogs fit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WIDTH = 390


def _fits_horizontally(element: Locator) -> None:
    box = element.bounding_box()
    assert box is not None, f"{element} is not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 0.5, (str(element), box)


def test_phone_width(phone_app, team, unique, shot):
    app = phone_app
    oldest = f"A {unique('heron')} in reeds"
    first, second = f"A {unique('kite')} over dunes", f"A {unique('bicycle')} by a canal"
    for prompt in (oldest, first, second):  # three cards: three columns would show
        team.generate(prompt)
    app.sign_in(team.key)
    page = app.page
    assert page.viewport_size == {"width": WIDTH, "height": 844}
    app.expect_cards([second, first, oldest])

    scroll_width, inner_width = app.no_horizontal_overflow()
    assert scroll_width <= inner_width, f"the page is {scroll_width} px wide in a {inner_width} px window"
    top = app.card(second)
    expect(top).to_be_in_viewport()
    _fits_horizontally(top)
    app.wait_for_image(top.get_by_role("img", name=second, exact=True))
    columns = {round(card.bounding_box()["x"]) for card in app.cards.all()}
    assert 1 <= len(columns) <= 2, f"{len(columns)} columns at phone width"
    shot(page, "gallery")

    share = app.button("Share", top)
    share.click()
    dialog = app.dialog("Share image")
    expect(dialog).to_be_visible()
    _fits_horizontally(dialog)
    create = app.button("Create link", dialog)
    create.scroll_into_view_if_needed()
    expect(create).to_be_in_viewport()
    for button in dialog.get_by_role("button").all():
        if button.is_visible():
            _fits_horizontally(button)
    create.click()
    link_box = dialog.get_by_role("textbox", name="Share link", exact=True)
    expect(link_box).not_to_have_value("")
    _fits_horizontally(link_box)
    for button in dialog.get_by_role("button").all():
        if button.is_visible():
            _fits_horizontally(button)
    close = app.button("Close", dialog)
    close.scroll_into_view_if_needed()
    expect(close).to_be_in_viewport()
    shot(page, "share-dialog", full_page=False)
    scroll_width, inner_width = app.no_horizontal_overflow()
    assert scroll_width <= inner_width, f"with the dialog open the page is {scroll_width} px wide"
    close.click()
    expect(dialog).to_be_hidden()
