"""Share links over HTTP, without an account: an HTML page for browsers, the same as JSON for
``Accept: application/json``, the password form and its cookie, and the asset redirects.

The rules (which links answer, passwords, views, downloads) live in ``ShareViewer``; this module
only negotiates the format and sets the headers every public answer carries.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.shared.cookies import Cookie
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from galleria.api.links import LinkBuilder, base_url
from galleria.api.models.share_pages import SharedImageOut, SharedLinkOut
from galleria.domain.items import Item
from galleria.errors import GalleriaError, InvalidRequest, RateLimited, Unauthorized
from galleria.shares.access import read_cookie
from galleria.shares.page import PageImage, SharePage, render_message, render_password_form, render_share_page
from galleria.shares.viewing import LinkPage, OpenLink, ShareViewer

PASSWORD_HEADER = "x-share-password"  # noqa: S105 - a header name
MAX_PASSWORD_CHARS = 200  # what a share password may be (ShareIn); longer cannot be right
_TITLE_CHARS = 80
_DESCRIPTION_CHARS = 200

# Every public answer: not indexed, no referrer (the token is in the URL), no framing, no
# scripts; images may come from the bucket's presigned URLs (another origin).
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; img-src * data:; media-src *; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
# Pages count views and must stop at once when a link is revoked: never cached. An image
# redirect may be reused for 5 of its presigned URL's 15 minutes.
PAGE_CACHE_CONTROL = "no-store"
IMAGE_CACHE_CONTROL = "private, max-age=300"

_ERROR_TITLES = {
    400: "Bad request",
    401: "Password required",
    403: "Not allowed",
    404: "Link not found",
    410: "Link expired",
    429: "Too many attempts",
}


class SharePages:
    def __init__(self, event: APIGatewayProxyEventV2, viewer: ShareViewer | None = None) -> None:
        self.event = event
        self.viewer = viewer or ShareViewer()
        self.links = LinkBuilder(base_url(event))

    # --- routes ----------------------------------------------------------------------------
    def show(self, token: str) -> Response[Any]:
        """GET /share/{token}. Scripts may send the password in X-Share-Password instead of
        going through the form."""
        try:
            link = self.viewer.open(token)
            cookies = self._access(link, self.event.headers.get(PASSWORD_HEADER))
            page = self.viewer.view(link, cursor=self.event.get_query_string_value("cursor"))
        except GalleriaError as error:
            return self._error(error, token)
        return self._page(page, cookies)

    def unlock(self, token: str) -> Response[Any]:
        """POST /share/{token} with the password (form field, JSON field or X-Share-Password):
        a browser is sent back to the page with its access cookie; JSON gets the page itself."""
        try:
            link = self.viewer.open(token)
            cookies = self._access(link, self._posted_password() if link.share.password_protected else None)
            if self._wants_json():
                return self._page(self.viewer.view(link), cookies)
        except GalleriaError as error:
            return self._error(error, token)
        headers = {**PUBLIC_HEADERS, "Location": self.links.share(token), "Cache-Control": PAGE_CACHE_CONTROL}
        return Response(status_code=303, headers=headers, cookies=cookies)

    def image(self, token: str, item_id: str) -> Response[Any]:
        """GET /share/{token}/items/{itemId}/image: the picture the page shows."""
        try:
            link = self._opened(token)
            url = self.viewer.image_url(link, item_id)
        except GalleriaError as error:
            return self._error(error, token)
        return self._redirect(url, IMAGE_CACHE_CONTROL)

    def download(self, token: str, item_id: str | None = None) -> Response[Any]:
        """GET /share/{token}/download (the item of an item link) and
        /share/{token}/items/{itemId}/download: only on links that allow downloads."""
        try:
            link = self._opened(token)
            if item_id is None:
                if link.item is None:
                    raise InvalidRequest(
                        "This link shows a collection: download an image through its items/ URL"
                    )
                item_id = link.item.id
            url = self.viewer.download_url(link, item_id)
        except GalleriaError as error:
            return self._error(error, token)
        return self._redirect(url, PAGE_CACHE_CONTROL)

    # --- access ----------------------------------------------------------------------------
    def _opened(self, token: str) -> OpenLink:
        link = self.viewer.open(token)
        self._access(link, self.event.headers.get(PASSWORD_HEADER))
        return link

    def _access(self, link: OpenLink, password: str | None) -> list[Cookie]:
        """Let the visitor through (a password given now, or the cookie from an earlier one);
        the new access cookie when a password was given."""
        if not link.share.password_protected:
            return []
        if password is None:
            self.viewer.require_access(
                link, read_cookie("; ".join(self.event.cookies or []), link.share.token)
            )
            return []
        if len(password) > MAX_PASSWORD_CHARS:
            raise Unauthorized("Wrong password", code="invalid_password")
        grant = self.viewer.unlock(link, password)
        token = link.share.token
        return [self.viewer.access.cookie(token, grant, path=f"/share/{token}")]

    def _posted_password(self) -> str:
        header = self.event.headers.get(PASSWORD_HEADER)
        if header is not None:
            return header
        content_type = (self.event.headers.get("content-type") or "").split(";")[0].strip().lower()
        body = self.event.decoded_body or ""
        password: Any = None
        if content_type == content_types.APPLICATION_JSON:
            try:
                parsed = json.loads(body)
            except ValueError:
                raise InvalidRequest("Malformed JSON body") from None
            password = parsed.get("password") if isinstance(parsed, dict) else None
        elif content_type == "application/x-www-form-urlencoded":
            password = next(iter(parse_qs(body, keep_blank_values=True).get("password", [])), None)
        if not isinstance(password, str) or not password:
            raise InvalidRequest("Enter the link's password (form field or JSON field 'password')")
        return password

    # --- answers ---------------------------------------------------------------------------
    def _wants_json(self) -> bool:
        accept = (self.event.headers.get("accept") or "").lower()
        return content_types.APPLICATION_JSON in accept and "text/html" not in accept

    def _page(self, page: LinkPage, cookies: list[Cookie]) -> Response[Any]:
        share = page.link.share
        images = [self._image_out(page.link, item) for item in page.items]
        title = self._title(page.link)
        headers = {**PUBLIC_HEADERS, "Cache-Control": PAGE_CACHE_CONTROL}
        if self._wants_json():
            body = SharedLinkOut(
                token=share.token,
                type=share.target_type.value,
                title=title,
                expires_at=share.expires_at,
                allow_download=share.allow_download,
                show_metadata=share.show_metadata,
                views=share.views,
                max_views=share.max_views,
                images=images,
                next_cursor=page.next_cursor,
            )
            return Response(
                status_code=200,
                content_type=content_types.APPLICATION_JSON,
                body=body.model_dump_json(by_alias=True),
                headers=headers,
                cookies=cookies,
            )
        html = render_share_page(
            SharePage(
                title=title,
                page_url=self.links.share(share.token),
                images=[
                    PageImage(
                        view_url=image.image_url,
                        width=image.width,
                        height=image.height,
                        alt=image.prompt or image.title or title,
                        prompt=image.prompt,
                        model=image.model,
                        download_url=image.download_url,
                        video=image.type == "video",
                    )
                    for image in images
                ],
                description=self._description(page),
                next_url=(
                    f"{self.links.share(share.token)}?cursor={quote(page.next_cursor)}"
                    if page.next_cursor
                    else None
                ),
                # A preview card only where anyone with the link may see the image anyway.
                preview=not share.password_protected,
            )
        )
        return Response(
            status_code=200, content_type=content_types.TEXT_HTML, body=html, headers=headers, cookies=cookies
        )

    def _image_out(self, link: OpenLink, item: Item) -> SharedImageOut:
        share = link.share
        shown = share.show_metadata
        return SharedImageOut(
            id=item.id,
            type=item.type,
            mime_type=item.mime_type,
            width=item.width,
            height=item.height,
            image_url=self.links.share_image(share.token, item.id),
            download_url=self.links.share_download(share.token, item.id) if share.allow_download else None,
            title=item.title if shown else None,
            prompt=item.prompt if shown else None,
            model=item.model if shown else None,
            created_at=item.created_at,
        )

    @staticmethod
    def _title(link: OpenLink) -> str:
        if link.collection is not None:
            return link.collection.name
        item = link.item
        if item is None or not link.share.show_metadata:
            return "Shared image"
        return _shorten(item.title or item.prompt, _TITLE_CHARS)

    @staticmethod
    def _description(page: LinkPage) -> str | None:
        link = page.link
        if not link.share.show_metadata:
            return None
        if link.collection is not None:
            return link.collection.description
        return _shorten(link.item.prompt, _DESCRIPTION_CHARS) if link.item else None

    def _redirect(self, url: str, cache_control: str) -> Response[Any]:
        return Response(
            status_code=302, headers={**PUBLIC_HEADERS, "Location": url, "Cache-Control": cache_control}
        )

    def _error(self, error: GalleriaError, token: str) -> Response[Any]:
        headers = {**PUBLIC_HEADERS, **error.headers, "Cache-Control": PAGE_CACHE_CONTROL}
        if self._wants_json():
            body = {"error": error.message, "code": error.code, **error.extra}
            return Response(
                status_code=error.status,
                content_type=content_types.APPLICATION_JSON,
                body=json.dumps(body),
                headers=headers,
            )
        if isinstance(error, Unauthorized | RateLimited) or (
            isinstance(error, InvalidRequest) and self.event.request_context.http.method == "POST"
        ):
            shown = None if error.code == "password_required" else error.message
            html = render_password_form(self.links.share(token), error=shown)
        else:
            html = render_message(_ERROR_TITLES.get(error.status, "Error"), error.message)
        return Response(
            status_code=error.status, content_type=content_types.TEXT_HTML, body=html, headers=headers
        )


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
