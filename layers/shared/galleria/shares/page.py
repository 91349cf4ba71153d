"""Public HTML for share links: the shared item or collection, the password form and error pages.

No template engine: every text and attribute value goes through ``html.escape`` (quotes included).
No JavaScript either; the password form is a plain form that POSTs back to the share URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;background:#f5f5f7}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,16rem),1fr))}
figure{margin:0;background:#fff;border-radius:.5rem;overflow:hidden}
img,video{display:block;width:100%;height:auto}
figcaption{padding:.5rem .75rem;font-size:.9rem;overflow-wrap:anywhere}
figcaption p{margin:.25rem 0}
.model{color:#6e6e73}
.download{display:inline-block;margin:.5rem .75rem .75rem;color:#0060df}
.empty{color:#6e6e73}
form{display:grid;gap:.75rem;max-width:22rem}
input,button{font:inherit;padding:.5rem;border-radius:.375rem;border:1px solid #c7c7cc}
button{background:#1d1d1f;color:#fff;border:0}
[role=alert]{color:#b00020}
""".strip()


@dataclass(frozen=True)
class PageImage:
    """One image on a share page; metadata fields are None when the share hides them."""

    view_url: str
    width: int | None
    height: int | None
    alt: str
    prompt: str | None
    model: str | None
    download_url: str | None
    video: bool = False


@dataclass(frozen=True)
class SharePage:
    """Everything the public page of a share link shows."""

    title: str
    page_url: str
    images: list[PageImage]
    description: str | None = None
    next_url: str | None = None  # a collection's next page
    preview: bool = True  # Open Graph tags for link previews (off for password-protected links)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _meta_property(prop: str, content: object) -> str:
    return f'<meta property="{_e(prop)}" content="{_e(content)}">'


def _meta_name(name: str, content: object) -> str:
    return f'<meta name="{_e(name)}" content="{_e(content)}">'


def _document(title: str, body: str, head_extra: list[str] | None = None) -> str:
    """Wrap a body in the shared document shell (charset, viewport, robots, style)."""
    head = [
        '<meta charset="utf-8">',
        _meta_name("viewport", "width=device-width, initial-scale=1"),
        _meta_name("robots", "noindex, nofollow"),
        # Keep the share token out of the Referer sent to image hosts.
        _meta_name("referrer", "no-referrer"),
        f"<title>{_e(title)}</title>",
        *(head_extra or []),
        f"<style>{_STYLE}</style>",
    ]
    head_html = "\n".join(head)
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n{head_html}\n</head>\n<body>\n{body}\n</body>\n</html>\n'
    )


def _open_graph(page: SharePage) -> list[str]:
    """Open Graph and Twitter card tags for link previews."""
    tags = [
        _meta_property("og:title", page.title),
        _meta_property("og:type", "website"),
        _meta_property("og:url", page.page_url),
    ]
    if page.description is not None:
        tags.append(_meta_name("description", page.description))
        tags.append(_meta_property("og:description", page.description))
    if page.images and not page.images[0].video:
        first = page.images[0]
        tags.append(_meta_property("og:image", first.view_url))
        if first.width is not None:
            tags.append(_meta_property("og:image:width", first.width))
        if first.height is not None:
            tags.append(_meta_property("og:image:height", first.height))
        tags.append(_meta_property("og:image:alt", first.alt))
    tags.append(_meta_name("twitter:card", "summary_large_image"))
    return tags


def _img(image: PageImage, *, lazy: bool) -> str:
    if image.video:
        label = _e(image.alt)
        return f'<video controls preload="metadata" src="{_e(image.view_url)}" aria-label="{label}"></video>'
    attrs = [f'src="{_e(image.view_url)}"', f'alt="{_e(image.alt)}"']
    if image.width is not None:
        attrs.append(f'width="{_e(image.width)}"')
    if image.height is not None:
        attrs.append(f'height="{_e(image.height)}"')
    if lazy:
        attrs.append('loading="lazy"')
    return f"<img {' '.join(attrs)}>"


def _caption(image: PageImage) -> str:
    lines = []
    if image.prompt is not None:
        lines.append(f'<p class="prompt">{_e(image.prompt)}</p>')
    if image.model is not None:
        lines.append(f'<p class="model">Model: {_e(image.model)}</p>')
    return f"<figcaption>{''.join(lines)}</figcaption>" if lines else ""


def _figure(image: PageImage, *, lazy: bool) -> str:
    parts = [_img(image, lazy=lazy), _caption(image)]
    if image.download_url is not None:
        parts.append(f'<a class="download" href="{_e(image.download_url)}" download>Download</a>')
    return f"<figure>{''.join(parts)}</figure>"


def _gallery(images: list[PageImage]) -> str:
    if not images:
        return '<p class="empty">Nothing to show here yet.</p>'
    figures = "\n".join(_figure(image, lazy=index > 0) for index, image in enumerate(images))
    css_class = "grid" if len(images) > 1 else "single"
    return f'<div class="{css_class}">\n{figures}\n</div>'


def render_share_page(page: SharePage) -> str:
    """The public page of a share: one item, or a grid for a collection."""
    more = f'\n<p><a class="more" href="{_e(page.next_url)}">More images</a></p>' if page.next_url else ""
    body = f"<main>\n<h1>{_e(page.title)}</h1>\n{_gallery(page.images)}{more}\n</main>"
    return _document(page.title, body, _open_graph(page) if page.preview else [])


def render_password_form(page_url: str, *, error: str | None = None) -> str:
    """A plain form that POSTs the password back to the share URL; shows nothing of the share."""
    alert = f'<p role="alert">{_e(error)}</p>\n' if error else ""
    body = (
        "<main>\n<h1>This share is password protected</h1>\n"
        f"{alert}"
        f'<form method="post" action="{_e(page_url)}">\n'
        '<label for="password">Password</label>\n'
        '<input type="password" id="password" name="password" required autocomplete="current-password">\n'
        '<button type="submit">View</button>\n'
        "</form>\n</main>"
    )
    return _document("Password required", body)


def render_message(title: str, message: str) -> str:
    """A bare page for not-found, expired or rate-limited shares."""
    body = f"<main>\n<h1>{_e(title)}</h1>\n<p>{_e(message)}</p>\n</main>"
    return _document(title, body)
