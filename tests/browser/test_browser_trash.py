"""Bulk delete into the trash, restore one, delete the other forever."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_bulk_delete_then_restore_and_delete_forever(app, team, unique, shot):
    kept, restored, destroyed = (f"A {unique(word)} still life" for word in ("melon", "pear", "quince"))
    [restored_id] = team.generate(restored)
    [destroyed_id] = team.generate(destroyed)
    [kept_id] = team.generate(kept)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([kept, destroyed, restored])

    for prompt in (restored, destroyed):
        app.select(prompt)
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    app.button("Delete selected").click()
    confirm = app.dialog("Delete 2 images?")
    expect(confirm).to_be_visible()
    expect(app.button("Cancel", confirm)).to_be_visible()
    shot(page, "delete-selected", full_page=False)
    app.button("Delete", confirm).click()
    expect(confirm).to_be_hidden()
    app.expect_cards([kept])
    trashed = team.api.get("/api/v1/gallery/trash").json()["items"]
    assert {item["id"] for item in trashed} == {restored_id, destroyed_id}

    app.view("Trash")
    trash = app.trash
    expect(trash.get_by_role("article")).to_have_count(2)
    expect(app.card(restored, trash)).to_be_visible()
    expect(app.card(destroyed, trash)).to_be_visible()
    for prompt in (restored, destroyed):  # the pictures show, from the trash copies
        app.wait_for_image(app.card(prompt, trash).get_by_role("img", name=prompt))
    shot(page, "trash")

    app.button("Restore", app.card(restored, trash)).click()
    expect(app.card(restored, trash)).to_have_count(0)
    expect(trash.get_by_role("article")).to_have_count(1)

    app.button("Delete forever", app.card(destroyed, trash)).click()
    forever = app.dialog("Delete forever?")
    expect(forever).to_be_visible()
    app.button("Delete forever", forever).click()
    expect(forever).to_be_hidden()
    expect(trash.get_by_role("article")).to_have_count(0)
    expect(page.get_by_text(re.compile("No images in the trash"))).to_be_visible()
    shot(page, "trash-empty")

    app.view("Gallery")
    app.expect_cards([kept, restored])

    assert team.item(restored_id).json()["deletedAt"] is None
    assert team.item(destroyed_id).status_code == 404
    assert team.api.get("/api/v1/gallery/trash").json()["items"] == []
    listed = team.api.get("/api/v1/gallery").json()["items"]
    assert [item["id"] for item in listed] == [kept_id, restored_id]
