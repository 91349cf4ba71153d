"""Opaque page cursors: a listing's sort position, base64url JSON of a few strings.

Only the position goes into a cursor, never the team: the partition comes from the caller's key,
so a cursor from another team's listing cannot open that team's data.
"""

from __future__ import annotations

import base64
import binascii
import json

from galleria.errors import InvalidRequest


def encode_cursor(position: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, fields: tuple[str, ...]) -> dict[str, str]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return {field: str(position[field]) for field in fields}
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest("Invalid cursor: pass nextCursor from a previous page unchanged") from exc
