"""presigned_put: S3 must refuse an upload of another type or size than the one presigned."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import pytest
from botocore.config import Config

from galleria.storage import MediaStorage

SECRET = "dummy-secret"
KEY = "uploads/team-1/upload-1.png"


def s3_client(signature_version: str = "s3v4") -> Any:
    """Dummy credentials: presigning is local computation, no request is sent."""
    return boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIDDUMMY",
        aws_secret_access_key=SECRET,
        config=Config(signature_version=signature_version, s3={"addressing_style": "path"}),
    )


def presign(expires_in: int = 600) -> tuple[str, dict[str, str]]:
    storage = MediaStorage(bucket="media", client=s3_client())
    return storage.presigned_put(KEY, content_type="image/png", size=1234, expires_in=expires_in)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def s3_accepts(url: str, headers: dict[str, str]) -> bool:
    """S3's check of a presigned PUT (SigV4 query auth), recomputed from the headers a client sends."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = params.pop("X-Amz-Signature")
    sent = {name.lower(): value.strip() for name, value in {**headers, "Host": parts.netloc}.items()}
    signed = params["X-Amz-SignedHeaders"].split(";")
    if not set(signed) <= set(sent):
        return False
    canonical_request = "\n".join(
        [
            "PUT",
            parts.path,
            "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items())),
            "".join(f"{name}:{sent[name]}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = params["X-Amz-Credential"].split("/")[1:]
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            "/".join(scope),
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{SECRET}".encode()
    for part in scope:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), signature)


def test_content_type_and_content_length_are_signed() -> None:
    url, _ = presign()

    assert query(url)["X-Amz-SignedHeaders"] == "content-length;content-type;host"


def test_the_url_puts_to_the_key_and_expires_as_given() -> None:
    url, _ = presign(expires_in=90)

    assert urlsplit(url).path == f"/media/{KEY}"
    assert query(url)["X-Amz-Expires"] == "90"


def test_the_returned_headers_are_exactly_the_signed_ones() -> None:
    url, headers = presign()

    assert headers == {"Content-Type": "image/png", "Content-Length": "1234"}
    assert {name.lower() for name in headers} | {"host"} == set(query(url)["X-Amz-SignedHeaders"].split(";"))


def test_s3_accepts_a_put_with_the_returned_headers() -> None:
    url, headers = presign()

    assert s3_accepts(url, headers)


@pytest.mark.parametrize(
    "changed",
    [
        {"Content-Length": "1235"},
        {"Content-Length": "99999999"},
        {"Content-Type": "image/svg+xml"},
        {"Content-Type": "text/html"},
    ],
)
def test_s3_refuses_a_put_of_another_size_or_type(changed: dict[str, str]) -> None:
    url, headers = presign()

    assert not s3_accepts(url, {**headers, **changed})


def test_s3_refuses_a_put_without_the_content_type() -> None:
    url, headers = presign()

    assert not s3_accepts(url, {"Content-Length": headers["Content-Length"]})


def test_a_client_that_would_not_sign_the_length_is_refused() -> None:
    # SigV2, botocore's default for presigned S3 URLs, signs Content-Type but never Content-Length.
    storage = MediaStorage(bucket="media", client=s3_client(signature_version="s3"))

    with pytest.raises(RuntimeError, match="SigV4"):
        storage.presigned_put(KEY, content_type="image/png", size=1234, expires_in=600)
