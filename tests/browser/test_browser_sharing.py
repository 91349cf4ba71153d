"""Share links (made in the page, opened by a visitor) and downloads, single and as a ZIP."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JOB_TIMEOUT_MS = 45_000  # a generation, split or export job, on a busy CI machine

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHARE_PASSWORD = "harbour-lights-42"


def _manifest_entries(manifest: object) -> list[dict]:
    """The per-image records of an export's manifest.json (a list, or a dict holding one)."""
    if isinstance(manifest, list):
        return manifest
    assert isinstance(manifest, dict), manifest
    lists = [value for value in manifest.values() if isinstance(value, list) and value]
    return [entry for value in lists for entry in value if isinstance(entry, dict)]


def test_share_with_password_and_open_the_link(app, team, open_page, browser_errors, unique, shot):
    prompt = f"A {unique('sailboat')} in a harbour"
    [item_id] = team.generate(prompt)
    app.sign_in(team.key)
    page = app.page

    app.button("Share", app.card(prompt)).click()
    dialog = app.dialog("Share image")
    expect(dialog).to_be_visible()
    expires = dialog.get_by_role("combobox", name="Expires", exact=True)
    assert expires.evaluate("select => select.selectedOptions[0].textContent.trim()") == "7 days"
    expires.select_option(label="1 day")
    dialog.get_by_label("Password (optional)", exact=True).fill(SHARE_PASSWORD)
    dialog.get_by_role("checkbox", name="Allow download", exact=True).check()
    app.button("Create link", dialog).click()
    link_box = dialog.get_by_role("textbox", name="Share link", exact=True)
    expect(link_box).to_have_value(re.compile("^" + re.escape(app.base_url) + r"/share/[A-Za-z0-9_-]{40}$"))
    expect(link_box).to_have_attribute("readonly", "")
    expect(app.button("Copy link", dialog)).to_be_visible()
    expect(app.button("Revoke link", dialog)).to_be_visible()
    shot(page, "share-dialog", full_page=False)
    link = link_box.input_value()

    share = team.api.get(f"/api/v1/gallery/{item_id}/share").json()
    assert share["shareUrl"] == link
    assert share["passwordProtected"] is True
    assert share["allowDownload"] is True
    expires_at = datetime.fromisoformat(share["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=10)
    app.button("Close", dialog).click()
    expect(dialog).to_be_hidden()

    # A visitor: another browser context, no key.
    browser_errors.allow(r"status of 401.*/share/")  # the wrong password's page answers 401
    visitor = open_page()
    visitor.goto(link)
    password = visitor.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    expect(visitor.get_by_role("img")).to_have_count(0)
    password.fill("not-the-password")
    visitor.get_by_role("button", name="View", exact=True).click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    expect(visitor.get_by_role("img")).to_have_count(0)
    visitor.get_by_label("Password", exact=True).fill(SHARE_PASSWORD)
    visitor.get_by_role("button", name="View", exact=True).click()
    image = visitor.get_by_role("img", name=prompt, exact=True)
    expect(image).to_be_visible()
    visitor.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(visitor.get_by_role("link", name="Download", exact=True)).to_be_visible()
    shot(visitor, "share-page")


def test_download_one_image_and_a_zip_of_the_selection(app, team, unique, shot):
    first, second = f"A {unique('lantern')} at night", f"A {unique('compass')} on a map"
    team.generate(first)
    team.generate(second)
    app.sign_in(team.key)
    page = app.page
    app.expect_cards([second, first])

    with page.expect_download() as single:
        app.button("Download", app.card(first)).click()
    png = Path(single.value.path()).read_bytes()
    assert png.startswith(PNG_SIGNATURE), png[:16]
    assert len(png) > len(PNG_SIGNATURE)
    assert single.value.suggested_filename.lower().endswith(".png"), single.value.suggested_filename

    for prompt in (first, second):
        app.select(prompt)
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    with page.expect_download(timeout=JOB_TIMEOUT_MS) as archive:
        app.button("Download selected").click()
    dialog = app.dialog("Download selected")
    expect(dialog.get_by_role("link", name="Download ZIP", exact=True)).to_be_visible(timeout=JOB_TIMEOUT_MS)
    shot(page, "download-selected", full_page=False)
    assert archive.value.suggested_filename.lower().endswith(".zip"), archive.value.suggested_filename
    with zipfile.ZipFile(archive.value.path()) as zipped:
        assert zipped.testzip() is None
        names = zipped.namelist()
        # One entry per image ({date}_{prompt slug}_{id}.{ext}), then the export's manifest.json.
        assert names[-1] == "manifest.json", names
        images = [entry for entry in zipped.infolist() if entry.filename != "manifest.json"]
        assert len(images) == 2, names
        assert all(entry.file_size > 0 for entry in images)
        manifest = json.loads(zipped.read("manifest.json"))
    assert {first, second} <= {entry.get("prompt") for entry in _manifest_entries(manifest)}, manifest
    app.button("Close", dialog).click()
    expect(dialog).to_be_hidden()
