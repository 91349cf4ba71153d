"""Permanent media links: ``/media/{team}/{item}/{rendition}/{signature}``.

The signature is an HMAC of team, item and rendition under a key from Secrets Manager, so a
link cannot be guessed or pointed at another item. The public function checks it and
redirects to a short-lived presigned URL while the item is live.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from galleria.config import get_settings
from galleria.domain.items import Rendition

_SIGNATURE_LENGTH = 32  # characters of base64url: 192 bits


def signing_key() -> bytes:
    settings = get_settings()
    if settings.media_signing_key:
        return settings.media_signing_key.encode()
    from aws_lambda_powertools.utilities.parameters import get_secret

    # Cached for five minutes per execution environment: one Secrets Manager call per cold start.
    return str(get_secret(settings.media_signing_secret_arn, max_age=300)).encode()


def sign(team_id: str, item_id: str, rendition: Rendition) -> str:
    message = f"{team_id}/{item_id}/{rendition.value}".encode()
    digest = hmac.new(signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_SIGNATURE_LENGTH]


def media_path(team_id: str, item_id: str, rendition: Rendition) -> str:
    return f"/media/{team_id}/{item_id}/{rendition.value}/{sign(team_id, item_id, rendition)}"


def verify(team_id: str, item_id: str, rendition: Rendition, signature: str) -> bool:
    return hmac.compare_digest(sign(team_id, item_id, rendition), signature)
