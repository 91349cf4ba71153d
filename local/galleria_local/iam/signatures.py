"""Who signed a request, and whether the signature holds: AWS Signature Version 4, sent in the
Authorization header or in a presigned URL's query string, recomputed with botocore's own signers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
_SIGNATURE_PARAMETER = "X-Amz-Signature"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class MalformedSignature(ValueError):
    """The request carries a signature that is not a well-formed SigV4 one."""


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived: path and query still percent-encoded, headers case-insensitive."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Signature:
    access_key_id: str
    session_token: str | None
    date: str  # X-Amz-Date: 20250101T120000Z
    region: str
    service: str
    signed_headers: tuple[str, ...]
    value: str
    expires_seconds: int | None = None  # a presigned URL's X-Amz-Expires

    def expired(self, now: datetime) -> bool:
        """A presigned URL past its expiry (a header signature does not expire here)."""
        if self.expires_seconds is None:
            return False
        signed_at = datetime.strptime(self.date, _DATE_FORMAT).replace(tzinfo=UTC)
        return now > signed_at + timedelta(seconds=self.expires_seconds)


def read_signature(request: SignedRequest) -> Signature | None:
    """The request's signature; None when it is not signed at all (an anonymous request)."""
    header = request.headers.get("Authorization")
    try:
        if header:
            return _from_header(header, request.headers)
        parameters = dict(_query_pairs(request.query))
        if _SIGNATURE_PARAMETER in parameters:
            return _from_query(parameters)
    except (KeyError, ValueError) as exc:
        raise MalformedSignature(f"Malformed {ALGORITHM} signature: {exc}") from exc
    return None


def expected_signature(signature: Signature, secret_access_key: str, request: SignedRequest) -> str:
    """The signature the holder of `secret_access_key` computes for this request."""
    credentials = Credentials(signature.access_key_id, secret_access_key, signature.session_token)
    signer: SigV4Auth
    s3 = signature.service == "s3"
    if signature.expires_seconds is not None:
        query_signer = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        signer = query_signer(credentials, signature.service, signature.region, signature.expires_seconds)
    else:
        signer = (S3SigV4Auth if s3 else SigV4Auth)(credentials, signature.service, signature.region)
    signed = AWSRequest(
        method=request.method,
        url=request.path,
        headers={name: request.headers.get(name, "") for name in signature.signed_headers},
        data=request.body,
        # botocore signs (name, value) pairs as well as a mapping, and a query may repeat a name;
        # its stubs only say Mapping.
        params=[pair for pair in _query_pairs(request.query) if pair[0] != _SIGNATURE_PARAMETER],  # type: ignore[arg-type]
    )
    signed.context["timestamp"] = signature.date
    canonical_request = signer.canonical_request(signed)
    return str(signer.signature(signer.string_to_sign(signed, canonical_request), signed))


def _from_header(header: str, headers: Mapping[str, str]) -> Signature:
    algorithm, _, fields = header.partition(" ")
    if algorithm != ALGORITHM:
        raise ValueError(f"{algorithm} is not {ALGORITHM}")
    parts = dict(field.strip().split("=", 1) for field in fields.split(","))
    access_key_id, _, region, service, _ = parts["Credential"].split("/")
    return Signature(
        access_key_id=access_key_id,
        session_token=headers.get("X-Amz-Security-Token"),
        date=headers["X-Amz-Date"],
        region=region,
        service=service,
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        value=parts["Signature"],
    )


def _from_query(parameters: Mapping[str, str]) -> Signature:
    if parameters.get("X-Amz-Algorithm") != ALGORITHM:
        raise ValueError(f"X-Amz-Algorithm is not {ALGORITHM}")
    access_key_id, _, region, service, _ = parameters["X-Amz-Credential"].split("/")
    return Signature(
        access_key_id=access_key_id,
        session_token=parameters.get("X-Amz-Security-Token"),
        date=parameters["X-Amz-Date"],
        region=region,
        service=service,
        signed_headers=tuple(parameters["X-Amz-SignedHeaders"].split(";")),
        value=parameters[_SIGNATURE_PARAMETER],
        expires_seconds=int(parameters["X-Amz-Expires"]),
    )


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs; botocore encodes them again in canonical form when it signs.
    A `+` stays a `+` (SigV4 clients encode a space as %20)."""
    pairs = (pair.partition("=") for pair in query.split("&") if pair)
    return [(unquote(name), unquote(value)) for name, _, value in pairs]
