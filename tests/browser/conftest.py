"""Browser tests: Playwright drives Debian's Chromium against /app on a local stack of their own.

Elements are found only by role, accessible name, label and text, as the page's accessibility
contract (docs/gallery-page.md) names them. Each test gets a fresh team (its own key, credits and
gallery), a fresh browser context and page; a console error or uncaught page error fails the test.
Screenshots of the main views, and of every open page when a test fails, go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from local_stack import ROOT, RunningStack, _free_port, run_admin, start_stack, stop_stack
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    ViewportSize,
    WebError,
    expect,
)

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# No first-run work and nothing phoned home: the CI network refuses Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000  # any single wait; generation with local/procedural takes well under a second
TEAM_CREDITS = 1000

expect.set_options(timeout=TIMEOUT_MS)


def chromium_executable() -> str | None:
    """$CHROMIUM, else Debian's /usr/bin/chromium, else a chromium on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path(DEFAULT_CHROMIUM).is_file():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


# ---------------------------------------------------------------- the stack and the browser


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("browser-stack"), _free_port())
    yield running
    stop_stack(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_executable()
    if executable is None:
        # Never a skip: CI must not pass without having run the browser tests.
        where = (
            f"CHROMIUM={os.environ['CHROMIUM']} is not a file"
            if os.environ.get("CHROMIUM")
            else f"No Chromium at {DEFAULT_CHROMIUM} nor on PATH"
        )
        pytest.fail(
            f"{where}: the browser tests need it. Run `make browser` (it installs Debian's 'chromium' "
            "package), or set CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# ---------------------------------------------------------------- a team per test


@dataclass(frozen=True)
class Team:
    team_id: str
    key: str
    api: httpx.Client  # the team's key, for seeding and for checking that the API agrees

    def generate(self, prompt: str, count: int = 1) -> list[str]:
        """Items made through the API with local/procedural; their gallery ids."""
        answer = self.api.post(
            "/api/v1/generate-image",
            json={"prompt": prompt, "model": "local/procedural", "numImages": count},
        )
        assert answer.status_code == 200, answer.text
        return [image["galleryId"] for image in answer.json()["images"]]

    def item(self, item_id: str) -> httpx.Response:
        return self.api.get(f"/api/v1/gallery/{item_id}")

    def credits(self) -> int:
        return int(self.api.get("/api/v1/account").json()["credits"])


@pytest.fixture
def team(stack: RunningStack) -> Iterator[Team]:
    """A new pro team, so each test sees only its own items."""
    created = run_admin(
        stack, "create-team", "--name", "browser", "--plan", "pro", "--credits", str(TEAM_CREDITS)
    )
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {created['apiKey']}"}, timeout=60
    ) as api:
        yield Team(created["teamId"], created["apiKey"], api)


# ---------------------------------------------------------------- pages, errors, screenshots


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions of every page a test opened."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. the 401 of a refused key)."""
        self.allowed.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url") or ""
        if "favicon" in url:
            return
        self.seen.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error: WebError) -> None:
        self.seen.append(f"page error: {error.error}")

    def unexpected(self) -> list[str]:
        return [text for text in self.seen if not any(p.search(text) for p in self.allowed)]


ERRORS = pytest.StashKey[BrowserErrors]()
PAGES = pytest.StashKey[list[Page]]()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


@pytest.fixture
def browser_errors(request: pytest.FixtureRequest) -> BrowserErrors:
    errors = BrowserErrors()
    request.node.stash[ERRORS] = errors
    return errors


@pytest.fixture
def open_page(
    browser: Browser, browser_errors: BrowserErrors, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (no stored key): ``open_page(viewport=PHONE)``."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    request.node.stash[PAGES] = pages

    def open_one(viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", browser_errors.on_console)
        context.on("weberror", browser_errors.on_page_error)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


@pytest.fixture(autouse=True)
def _no_stale_screenshots(request: pytest.FixtureRequest) -> None:
    """Remove this test's screenshots of an earlier run, so the folder shows the last run only."""
    for stale in SCREENSHOTS.glob(f"{_safe_name(request.node.name)}-*.png"):
        stale.unlink(missing_ok=True)


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Save a screenshot of a main view: test-artifacts/screenshots/{test}-{view}.png.

    The whole page by default; ``full_page=False`` for a modal dialog (what the window shows).
    """

    def take(page: Page, view: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{_safe_name(request.node.name)}-{_safe_name(view)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose pages logged console errors or threw, even if its assertions held."""
    result = yield
    errors = item.stash.get(ERRORS, None)
    unexpected = errors.unexpected() if errors else []
    if unexpected:
        pytest.fail("The page reported errors:\n" + "\n".join(unexpected), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        pages: list[Page] = item.stash.get(PAGES, [])
        for number, page in enumerate(pages):
            path = SCREENSHOTS / f"{_safe_name(item.name)}-failure-{number}.png"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # a closed page must not hide the failure
                report.sections.append(("failure screenshot", f"{path}: {error}"))
            else:
                report.sections.append(("failure screenshot", str(path)))
    return report


# ---------------------------------------------------------------- the app, by its contract


def number_pattern(value: int) -> re.Pattern[str]:
    """``value`` with or without thousands separators ("9,995" or "9995"), not part of a longer number."""
    separator = r"[,.\s\u00a0\u202f']?"
    return re.compile(r"(?<!\d)" + separator.join(str(value)) + r"(?!\d)")


def digits(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@dataclass
class App:
    """The /app page of one test, with helpers named after what a user does."""

    page: Page
    base_url: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/app"

    def open(self) -> None:
        self.page.goto(self.url)
        expect(self.page.get_by_role("heading", name="Galleria", level=1)).to_be_visible()

    def sign_in(self, key: str) -> None:
        self.open()
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in", exact=True).click()
        expect(self.credits_label).to_contain_text(re.compile(r"\d"))

    @property
    def credits_label(self) -> Locator:
        return self.page.get_by_label("Credits", exact=True)

    def credits(self) -> int:
        return digits(self.credits_label.inner_text())

    def expect_credits(self, value: int, timeout: float = TIMEOUT_MS) -> None:
        """The header says ``value`` credits (with or without thousands separators)."""
        expect(self.credits_label).to_contain_text(number_pattern(value), timeout=timeout)
        expect(self.credits_label).to_contain_text("credits")

    @property
    def storage(self) -> Locator:
        return self.page.get_by_role("meter", name="Storage used").or_(
            self.page.get_by_role("progressbar", name="Storage used")
        )

    @property
    def notifications(self) -> Locator:
        return self.page.get_by_role("status", name="Notifications")

    @property
    def grid(self) -> Locator:
        return self.page.get_by_role("list", name="Images", exact=True)

    @property
    def trash(self) -> Locator:
        return self.page.get_by_role("list", name="Trash", exact=True)

    @property
    def cards(self) -> Locator:
        return self.grid.get_by_role("article")

    def card(self, prompt: str, within: Locator | None = None) -> Locator:
        return (within or self.grid).get_by_role("article", name=prompt, exact=True)

    def button(self, name: str, within: Locator | None = None) -> Locator:
        return (within or self.page).get_by_role("button", name=name, exact=True)

    def dialog(self, name: str) -> Locator:
        return self.page.get_by_role("dialog", name=name, exact=True)

    def select(self, prompt: str) -> None:
        """Tick a card's "Select" checkbox."""
        self.card(prompt).get_by_role("checkbox", name="Select", exact=True).check()

    def open_generate_panel(self) -> Locator:
        """ "New image", then the offline model chosen in the panel that opens; the panel."""
        self.button("New image").click()
        panel = self.page.get_by_role("region", name="Generate", exact=True)
        expect(panel).to_be_visible()
        model = panel.get_by_role("combobox", name="Model", exact=True)
        expect(model.get_by_role("option", name="local/procedural", exact=True)).to_have_count(1)
        model.select_option(label="local/procedural")
        return panel

    def combobox(self, name: str) -> Locator:
        return self.page.get_by_role("combobox", name=name, exact=True)

    def view(self, name: str) -> None:
        """Switch views with the "Views" navigation (Gallery / Trash); the button then says it is current."""
        tab = self.page.get_by_role("navigation", name="Views").get_by_role("button", name=name, exact=True)
        tab.click()
        self.page.wait_for_function(
            "tab => !['false', null].includes(tab.getAttribute('aria-current'))"
            " || tab.getAttribute('aria-pressed') === 'true'",
            arg=tab.element_handle(),
        )

    def expect_cards(self, prompts: list[str], within: Locator | None = None) -> None:
        """Exactly these cards, in this order."""
        expect((within or self.grid).get_by_role("article")).to_have_count(len(prompts))
        for position, prompt in enumerate(prompts):
            expect((within or self.grid).get_by_role("article").nth(position)).to_have_accessible_name(prompt)

    def wait_for_image(self, image: Locator, timeout: float = TIMEOUT_MS) -> None:
        """Wait until an <img> has really loaded (a decoded picture, not a broken icon)."""
        image.scroll_into_view_if_needed()
        handle = image.element_handle()
        self.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=handle, timeout=timeout
        )

    def stored_key(self) -> str | None:
        return self.page.evaluate("() => window.localStorage.getItem('galleria.apiKey')")

    def no_horizontal_overflow(self) -> tuple[int, int]:
        return self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


@pytest.fixture
def app(page: Page, stack: RunningStack) -> App:
    return App(page, stack.base_url)


@pytest.fixture
def phone_app(open_page: Callable[..., Page], stack: RunningStack) -> App:
    """/app in a phone-sized page (390 × 844)."""
    return App(open_page(viewport=PHONE), stack.base_url)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A word no other prompt contains (for searching): unique("lighthouse") → "lighthousezq4k2f9"."""

    def make(stem: str) -> str:
        return f"{stem}zq{uuid.uuid4().hex[:6]}"

    return make
