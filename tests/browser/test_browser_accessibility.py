"""An automated accessibility audit of /app with axe-core (WCAG 2.0 and 2.1, levels A and AA).

Each main view is audited as a user reaches it: the sign-in screen, the gallery with a few items,
every main dialog open, the generate panel, the detail view, the trash and the phone width. A
violation of impact "serious" or "critical" fails the test, with what to fix; "moderate" and
"minor" ones are printed only (`pytest -rP` shows them for passing tests too).

The colours are checked twice: in the light scheme with every rule, then the contrast rule again
in the dark one (`prefers-color-scheme: dark`), with reduced motion so that no transition is caught
halfway. axe-core's script comes with the axe-playwright-python wheel: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:  # this folder's conftest, as mypy names it (pytest imports it as `conftest`)
    from tests.browser.conftest import App, Team

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

JOB_TIMEOUT_MS = 45_000  # an edit job, on a busy CI machine
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Violations in full; "incomplete" too: what axe could not decide (printed for a human to look at).
REPORTED = ["violations", "incomplete"]
EVERY_RULE = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": REPORTED}
CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}, "resultTypes": REPORTED}
BLOCKING = ("critical", "serious")
SNIPPET = 160  # characters of a node's HTML or of a check's message in the report

AXE = Axe()  # the axe.min.js its wheel bundles
AXE_VERSION = AXE.axe_script[: AXE.axe_script.index("\n")].removeprefix("/*! axe ").strip()


def _short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(view: str, result: dict[str, Any]) -> str:
    """One rule's result: its id, impact and help, then each node's target, HTML and reason."""
    lines = [f"[{view}] {result['id']} ({result['impact']}): {result['help']} — {result['helpUrl']}"]
    for node in result["nodes"]:
        target = " ".join(str(part) for part in node["target"])
        lines.append(f"    at {target}: {_short(node['html'])}")
        messages = [check["message"] for kind in ("any", "all", "none") for check in node.get(kind, [])]
        if messages:
            lines.append(f"       {_short('; '.join(messages))}")
    return "\n".join(lines)


@dataclass
class Audit:
    """Runs axe on a page as it is now; collects the findings of every view of a test."""

    blocking: list[str] = field(default_factory=list)  # serious or critical violations
    other: list[str] = field(default_factory=list)  # moderate or minor violations
    review: list[str] = field(default_factory=list)  # what axe could not decide
    views: list[str] = field(default_factory=list)

    def __call__(self, page: Page, view: str) -> None:
        page.emulate_media(reduced_motion="reduce", color_scheme="light")
        self.run(page, view, EVERY_RULE)
        page.emulate_media(reduced_motion="reduce", color_scheme="dark")
        self.run(page, f"{view}, dark", CONTRAST_ONLY)
        page.emulate_media(reduced_motion="reduce", color_scheme="light")
        self.views.append(view)

    def run(self, page: Page, view: str, options: dict[str, Any]) -> None:
        results = AXE.run(page, options=options).response
        assert results["passes"] or results["violations"], f"axe checked nothing on {view}: {results}"
        for violation in results["violations"]:
            found = self.blocking if violation["impact"] in BLOCKING else self.other
            found.append(_describe(view, violation))
        self.review.extend(_describe(view, undecided) for undecided in results["incomplete"])

    def check(self) -> None:
        """Print the moderate and minor findings; fail on any serious or critical one."""
        print(f"axe-core {AXE_VERSION} audited: {', '.join(self.views)}")
        if self.other:
            print("Moderate or minor violations (not failing):\n" + "\n".join(self.other))
        if self.review:
            print("Not decided by axe, for a human to check:\n" + "\n".join(self.review))
        assert not self.blocking, "Serious or critical accessibility violations:\n" + "\n".join(self.blocking)


@pytest.fixture
def audit() -> Audit:
    """``audit(page, "view")`` at each view; the test ends with ``audit.check()``."""
    return Audit()


def seed(team: Team, unique: Callable[[str], str], words: tuple[str, ...]) -> list[str]:
    """One item per word, oldest first; their prompts."""
    prompts = [f"A {unique(word)} on a wooden table" for word in words]
    for prompt in prompts:
        team.generate(prompt)
    return prompts


def signed_in_with_pictures(app: App, team: Team, prompts: list[str]) -> None:
    """Sign in; the cards are there (newest first) and their thumbnails have loaded."""
    app.sign_in(team.key)
    app.expect_cards(prompts[::-1])
    for prompt in prompts:
        app.wait_for_image(app.card(prompt).get_by_role("img", name=prompt, exact=True))
    app.page.evaluate("() => window.scrollTo(0, 0)")


def audit_dialog(app: App, audit: Audit, opener: Locator, name: str, *, close: str = "Escape") -> None:
    """Open a dialog with ``opener``, audit it, close it (Escape by default, else that button)."""
    opener.click()
    dialog = app.dialog(name)
    expect(dialog).to_be_visible()
    audit(app.page, f"dialog {name!r}")
    if close == "Escape":
        app.page.keyboard.press("Escape")
    else:
        app.button(close, dialog).click()
    expect(dialog).to_be_hidden()


# ---------------------------------------------------------------- signed out


def test_sign_in_screen(app, browser_errors, audit):
    browser_errors.allow(r"status of 401")  # the refused key's API call, logged by Chromium
    app.open()
    audit(app.page, "sign-in")

    app.page.get_by_label("API key").fill("glr_this-key-was-never-issued-00000000000000")
    app.button("Sign in").click()
    expect(app.page.get_by_role("alert").filter(has_text="not accepted")).to_be_visible()
    audit(app.page, "sign-in, key refused")
    audit.check()


def test_the_audit_sees_a_violation(app):
    """The audit itself: an unnamed button put in the page is reported (no silent pass), and the
    second run really sees the dark colours."""
    app.open()
    backgrounds = set()
    for scheme in ("light", "dark"):
        app.page.emulate_media(color_scheme=scheme)
        backgrounds.add(app.page.evaluate("() => getComputedStyle(document.body).backgroundColor"))
    assert len(backgrounds) == 2, backgrounds
    app.page.evaluate(
        "() => document.getElementById('sign-in-form').append(document.createElement('button'))"
    )
    found = Audit()
    found(app.page, "sign-in with an unnamed button")
    assert any("button-name (critical)" in text for text in found.blocking), found
    with pytest.raises(AssertionError, match="button-name"):
        found.check()


# ---------------------------------------------------------------- the gallery


def test_gallery_generate_panel_and_dialogs(app, team, unique, audit):
    prompts = seed(team, unique, ("lantern", "compass", "teapot"))
    items = team.api.get("/api/v1/gallery").json()["items"]  # newest first
    favorite = team.api.post(f"/api/v1/gallery/{items[0]['id']}/favorite")
    assert favorite.status_code == 200, favorite.text
    collection = team.api.post("/api/v1/gallery/collections", json={"name": f"Still lifes {unique('set')}"})
    assert collection.status_code in (200, 201), collection.text
    added = team.api.post(
        f"/api/v1/gallery/collections/{collection.json()['id']}/items", json={"itemIds": [items[1]["id"]]}
    )
    assert added.status_code == 200, added.text
    signed_in_with_pictures(app, team, prompts)
    page = app.page
    audit(page, "gallery")

    panel = app.open_generate_panel()
    audit(page, "generate panel")
    app.button("New image").click()
    expect(panel).to_be_hidden()

    card = app.card(prompts[1])  # the one in a collection: "Add to collection" has a checkbox
    audit_dialog(app, audit, app.button("Prompt", card), "Prompt")
    audit_dialog(app, audit, app.button("Info", card), "Image info")
    audit_dialog(app, audit, app.button("Add to collection", card), "Add to collection", close="Cancel")
    audit_dialog(app, audit, app.button("Create grid", card), "Create grid", close="Cancel")
    audit_dialog(app, audit, app.button("Delete", card), "Delete image?", close="Cancel")

    app.button("Share", card).click()
    dialog = app.dialog("Share image")
    expect(dialog).to_be_visible()
    audit(page, "dialog 'Share image'")
    app.button("Create link", dialog).click()
    expect(dialog.get_by_role("textbox", name="Share link", exact=True)).not_to_have_value("")
    expect(app.notifications).to_contain_text("Share link ready")
    audit(page, "dialog 'Share image' with a link")
    app.button("Close", dialog).click()
    expect(dialog).to_be_hidden()

    for prompt in prompts[:2]:
        app.select(prompt)
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    audit(page, "gallery, two selected")
    audit_dialog(app, audit, app.button("Tag selected"), "Tag selected", close="Cancel")
    audit_dialog(app, audit, app.button("Add selected to collection"), "Add to collection")
    audit_dialog(app, audit, app.button("Delete selected"), "Delete 2 images?", close="Cancel")
    audit.check()


def test_detail_view(app, team, unique, audit):
    [prompt] = seed(team, unique, ("sailboat",))
    signed_in_with_pictures(app, team, [prompt])
    app.button("Open", app.card(prompt)).click()
    details = app.dialog("Image details")
    expect(details).to_be_visible()
    app.wait_for_image(details.get_by_role("img", name=prompt, exact=True))
    expect(details.get_by_role("list", name="History", exact=True)).to_contain_text("No edits")
    audit(app.page, "detail")

    details.get_by_role("textbox", name="Edit prompt", exact=True).fill("Make the sky stormy")
    app.button("Apply edit", details).click()
    expect(details.get_by_role("status")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    variant = details.get_by_role("list", name="Variants", exact=True).get_by_role("button")
    expect(variant).to_have_count(1)
    app.wait_for_image(variant.get_by_role("img"))
    audit(app.page, "detail after an edit")
    app.button("Close", details).click()
    expect(details).to_be_hidden()
    audit.check()


# ---------------------------------------------------------------- the trash


def test_trash_view(app, team, unique, audit):
    kept, trashed = seed(team, unique, ("melon", "quince"))
    trashed_id = team.api.get("/api/v1/gallery").json()["items"][0]["id"]
    deleted = team.api.delete(f"/api/v1/gallery/{trashed_id}")
    assert deleted.status_code in (200, 204), deleted.text
    signed_in_with_pictures(app, team, [kept])
    app.view("Trash")
    card = app.card(trashed, app.trash)
    expect(card).to_be_visible()
    app.wait_for_image(card.get_by_role("img", name=trashed, exact=True))
    audit(app.page, "trash")
    audit_dialog(app, audit, app.button("Delete forever", card), "Delete forever?", close="Cancel")
    audit.check()


# ---------------------------------------------------------------- phone width


def test_phone_width(phone_app, team, unique, audit):
    app = phone_app
    prompts = seed(team, unique, ("heron", "kite", "bicycle"))
    signed_in_with_pictures(app, team, prompts)
    audit(app.page, "gallery at 390 × 844")
    audit_dialog(app, audit, app.button("Share", app.card(prompts[-1])), "Share image", close="Close")
    audit.check()
