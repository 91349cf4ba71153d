"""Links in README.md and docs/: every relative link names a file inside the repository, and every
anchor names a heading of the Markdown file it points at (GitHub's heading ids).

External links (``https:``, ``mailto:``) are not followed. Links inside code blocks and code spans
are not links. A link that leaves the repository's root fails even when the file exists there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target), with an optional "title"; the text may hold one level of [].
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_HTML_ID = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Link:
    line: int
    target: str


def prose_lines(text: str, *, blank_code_spans: bool = True) -> Iterator[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1, with code spans blanked (a link
    written inside one is an example, not a link)."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0] * len(opened.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = None
            continue
        yield number, _CODE_SPAN.sub("", line) if blank_code_spans else line


def links(text: str) -> list[Link]:
    found = []
    for number, line in prose_lines(text):
        found += [Link(number, match.group(1)) for match in _INLINE_LINK.finditer(line)]
        reference = _REFERENCE.match(line)
        if reference:
            found.append(Link(number, reference.group(1)))
    return found


def slug(heading: str) -> str:
    """GitHub's id for a heading: its text without markup, lower-cased, punctuation dropped
    (letters, digits, ``_`` and ``-`` stay), each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link or image: its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every id a reader can link to: headings (repeats get -1, -2, ... as on GitHub) and HTML anchors."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in prose_lines(text, blank_code_spans=False):
        heading = _HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(_HTML_ID.findall(line))
    return found


def broken_links(document: Path, root: Path) -> list[str]:
    """What is wrong with each relative link of ``document``, as "line N: target: why"."""
    problems = []
    root = root.resolve()
    for link in links(document.read_text(encoding="utf-8")):
        target = link.target
        if not target or _SCHEME.match(target) or target.startswith("//"):
            continue  # an external link (https:, mailto:) or an empty one
        path_part, _, anchor = target.partition("#")
        path = unquote(path_part)
        if not path:
            resolved = document.resolve()
        elif path.startswith("/"):
            resolved = (root / path.lstrip("/")).resolve()  # GitHub reads /x as the repository's root
        else:
            resolved = (document.parent / path).resolve()
        where = f"line {link.line}: {target}"
        if not resolved.is_relative_to(root):
            problems.append(f"{where}: points outside the repository")
            continue
        if not resolved.exists():
            problems.append(f"{where}: no such file in the repository")
            continue
        if anchor:
            if resolved.suffix != ".md" or not resolved.is_file():
                problems.append(f"{where}: an anchor into something that is not a Markdown file")
            elif anchor not in anchors(resolved.read_text(encoding="utf-8")):
                problems.append(f"{where}: no heading with the id '{anchor}' in {resolved.relative_to(root)}")
    return problems


@pytest.mark.parametrize("document", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(document: Path) -> None:
    assert broken_links(document, ROOT) == []


def test_every_page_of_docs_is_linked_from_the_readme() -> None:
    readme = ROOT / "README.md"
    linked = {
        (readme.parent / unquote(link.target.partition("#")[0])).resolve()
        for link in links(readme.read_text(encoding="utf-8"))
        if not _SCHEME.match(link.target)
    }
    pages = {page.resolve() for page in DOCS if page != readme}
    assert sorted(str(page.relative_to(ROOT)) for page in pages - linked) == []


# --- the checker itself -------------------------------------------------------------------------
def test_headings_get_githubs_ids() -> None:
    assert slug("Two commands") == "two-commands"
    assert slug("The offline model `local/procedural`") == "the-offline-model-localprocedural"
    assert slug("Accounts and keys: `galleria-admin`") == "accounts-and-keys-galleria-admin"
    assert slug("The gallery page (/app)") == "the-gallery-page-app"
    assert slug("Sharing **and** [links](x.md)") == "sharing-and-links"
    assert slug("Limits & quotas — per plan") == "limits--quotas--per-plan"
    assert slug("`POST /api/v1/generate-image`") == "post-apiv1generate-image"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n## B `c`\n") == {"a", "a-1", "b-c"}


def test_the_checker_fails_on_broken_links(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "API.md").write_text("# Outside\n")
    (root / "docs" / "guide.md").write_text("# Guide\n\n## Set-up steps\n")
    readme = root / "README.md"
    readme.write_text(
        "# Title\n\n"
        "[ok](docs/guide.md) [ok anchor](docs/guide.md#set-up-steps) [here](#title)\n"
        "[missing](docs/nothing.md)\n"
        "[outside](../shared/API.md)\n"
        "[bad anchor](docs/guide.md#setup)\n"
        "[bad local anchor](#nowhere)\n"
        "[web](https://example.com/x.md) `[code](not/checked.md)`\n"
        "```\n[fenced](not/checked.md)\n```\n"
        "[ref]: docs/gone.md\n"
    )
    assert broken_links(readme, root) == [
        "line 4: docs/nothing.md: no such file in the repository",
        "line 5: ../shared/API.md: points outside the repository",
        "line 6: docs/guide.md#setup: no heading with the id 'setup' in docs/guide.md",
        "line 7: #nowhere: no heading with the id 'nowhere' in README.md",
        "line 12: docs/gone.md: no such file in the repository",
    ]
