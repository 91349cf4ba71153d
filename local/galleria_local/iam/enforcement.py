"""The local AWS's IAM: while `enforced_iam()` is open, every request moto serves is authorised.

moto can authorise requests itself (settings.INITIAL_NO_AUTH_ACTION_COUNT), but falls short for what the
functions call: it authorises DynamoDB, Secrets Manager and SSM against resource "*", so any grant scoped
to a table, secret or parameter refuses; it asks for IAM actions that do not exist (dynamodb:
TransactWriteItems, s3:HeadBucket) and for DeleteObjects authorises the bucket, not the keys; it crashes
on a presigned URL (no Authorization header) and knows no root credentials. So, for as long as
enforcement is on, the two methods through which moto's handlers authorise a request are replaced by
`_Authorizer`: it checks the SigV4 signature (header or presigned query), finds the caller (the account's
root credentials, or a role session moto's STS issued), works out what the request needs in IAM terms
(permissions.py) and evaluates the role's inline and attached policies, read from moto's IAM (policy.py).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.s3.exceptions import BucketAccessDeniedError, S3ClientError
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

from galleria_local.iam.permissions import ServiceRequest, for_s3_request, for_service_request
from galleria_local.iam.policy import Decision, Permission, decide
from galleria_local.iam.signatures import (
    MalformedSignature,
    Signature,
    SignedRequest,
    expected_signature,
    read_signature,
)

if TYPE_CHECKING:
    from moto.core.responses import BaseResponse

logger = logging.getLogger(__name__)

_PARTITION = "aws"


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, in the error codes of S3 and the query protocol, and of the JSON ones."""

    code: str
    json_code: str
    message: str
    status: int = 403


_ANONYMOUS = Refusal("AccessDenied", "MissingAuthenticationTokenException", "Access Denied")
_UNKNOWN_KEY = Refusal(
    "InvalidAccessKeyId",
    "UnrecognizedClientException",
    "The AWS Access Key Id you provided does not exist in our records.",
)
_INVALID_TOKEN = Refusal(
    "InvalidToken", "UnrecognizedClientException", "The security token included in the request is invalid."
)
_BAD_SIGNATURE = Refusal(
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.",
)
_EXPIRED = Refusal("AccessDenied", "AccessDeniedException", "Request has expired")


@dataclass(frozen=True)
class Caller:
    arn: str
    secret_access_key: str
    role_name: str | None  # None: the account's root user, whom no identity policy limits


class _Refused(HTTPException):
    """How moto's generic handler answers an authorisation failure: its status and body as they are."""

    def __init__(self, refusal: Refusal, *, json_protocol: bool) -> None:
        if json_protocol:
            body = json.dumps({"__type": refusal.json_code, "message": refusal.message})
        else:
            body = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>"
                "</Error></ErrorResponse>"
            )
        super().__init__(description=body)
        self.code = refusal.status


class _S3AccessDenied(BucketAccessDeniedError):
    """S3's AccessDenied with IAM's explanation (moto's DeleteObjects answers it for each key)."""

    def __init__(self, bucket: str, message: str) -> None:
        super().__init__(bucket)
        self.message = message


class _Authorizer:
    def __init__(self, root_access_key_id: str, root_secret_access_key: str) -> None:
        self._root_access_key_id = root_access_key_id
        self._root_secret_access_key = root_secret_access_key

    def authorize(self, response: BaseResponse, resource: str) -> None:
        """In place of moto's `_authenticate_and_authorize_normal_action`: every service but S3."""
        json_protocol = "json" in response.headers.get("Content-Type", "")

        def needs(signature: Signature) -> list[Permission]:
            request = ServiceRequest(
                service=signature.service,
                action=_action(response),
                params=_params(response, json_protocol=json_protocol),
                region=response.region,
                account=response.current_account,
                moto_resource=resource,
            )
            return for_service_request(request)

        refusal = self._refusal(response, needs)
        if refusal is not None:
            raise _Refused(refusal, json_protocol=json_protocol)

    def authorize_s3(self, response: BaseResponse, bucket_name: str | None, key_name: str | None) -> None:
        """In place of moto's `_authenticate_and_authorize_s3_action`."""

        def needs(_: Signature) -> list[Permission]:
            body = response.raw_body or b""
            action = response.data["Action"]
            return for_s3_request(
                action, bucket_name, key_name, response.headers, body, response.current_account
            )

        refusal = self._refusal(response, needs)
        if refusal is None:
            return
        if refusal.code == "AccessDenied" and bucket_name is not None:
            raise _S3AccessDenied(bucket_name, refusal.message)
        raise S3ClientError(refusal.code, refusal.message)

    def _refusal(
        self, response: BaseResponse, needs: Callable[[Signature], list[Permission]]
    ) -> Refusal | None:
        request = SignedRequest(
            method=response.method,
            path=response.raw_path,
            query=response.parsed_url.query,
            headers=response.headers,
            body=_body(response),
        )
        authenticated = self._authenticate(request, response.current_account)
        if isinstance(authenticated, Refusal):
            return authenticated
        caller, signature = authenticated
        if caller.role_name is None:
            return None
        documents = _role_documents(response.current_account, caller.role_name)
        for permission in needs(signature):
            decision = decide(documents, permission)
            if decision is not Decision.ALLOWED:
                return _denied(caller, permission, decision)
        return None

    def _authenticate(self, request: SignedRequest, account: str) -> tuple[Caller, Signature] | Refusal:
        """The caller whose valid signature the request carries."""
        try:
            signature = read_signature(request)
        except MalformedSignature as exc:
            return Refusal("AccessDenied", "IncompleteSignatureException", str(exc))
        if signature is None:
            return _ANONYMOUS
        caller = self._caller(signature, account)
        if isinstance(caller, Refusal):
            return caller
        if not hmac.compare_digest(
            expected_signature(signature, caller.secret_access_key, request), signature.value
        ):
            return _BAD_SIGNATURE
        if signature.expired(datetime.now(UTC)):
            return _EXPIRED
        return caller, signature

    def _caller(self, signature: Signature, account: str) -> Caller | Refusal:
        if signature.access_key_id == self._root_access_key_id:
            return Caller(f"arn:{_PARTITION}:iam::{account}:root", self._root_secret_access_key, None)
        session = sts_backends[account][_PARTITION].get_assumed_role_from_access_key(signature.access_key_id)
        if session is None:
            return _UNKNOWN_KEY
        if session.session_token != signature.session_token:
            return _INVALID_TOKEN
        return Caller(session.arn, session.secret_access_key, session.role_arn.rsplit("/", 1)[-1])


@contextmanager
def enforced_iam(root_access_key_id: str, root_secret_access_key: str) -> Iterator[None]:
    """While open, moto authorises each request against its caller's IAM policies.

    `root_access_key_id` and its secret are the account's root credentials: signed with them, a request
    is allowed whatever it does (the local stack's own provisioning, pollers, admin CLI and tests).
    """
    authorizer = _Authorizer(root_access_key_id, root_secret_access_key)

    def authorize(response: BaseResponse, resource: str = "*") -> None:
        authorizer.authorize(response, resource)

    def authorize_s3(
        response: BaseResponse, bucket_name: str | None = None, key_name: str | None = None
    ) -> None:
        authorizer.authorize_s3(response, bucket_name, key_name)

    replaced = {
        "_authenticate_and_authorize_normal_action": authorize,
        "_authenticate_and_authorize_s3_action": authorize_s3,
    }
    originals = {name: getattr(ActionAuthenticatorMixin, name) for name in replaced}
    for name, method in replaced.items():
        setattr(ActionAuthenticatorMixin, name, method)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(ActionAuthenticatorMixin, name, original)


def _role_documents(account: str, role_name: str) -> list[Mapping[str, Any]]:
    """The role's inline policies and the default versions of its attached managed policies."""
    iam = iam_backends[account][_PARTITION]
    try:
        inline = [iam.get_role_policy(role_name, name)[1] for name in iam.list_role_policies(role_name)]
        attached, _ = iam.list_attached_role_policies(role_name)
    except NotFoundException:  # the role is gone: its sessions may do nothing
        return []
    managed = [iam.get_policy_version(policy.arn, policy.default_version_id).document for policy in attached]
    return [json.loads(document) if isinstance(document, str) else document for document in inline + managed]


def _denied(caller: Caller, permission: Permission, decision: Decision) -> Refusal:
    """IAM's words for it."""
    reason = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICITLY_DENIED
        else f"because no identity-based policy allows the {permission.action} action"
    )
    message = (
        f"User: {caller.arn} is not authorized to perform: {permission.action} on resource: "
        f"{permission.resource} {reason}"
    )
    logger.warning("IAM refused: %s", message)
    return Refusal("AccessDenied", "AccessDeniedException", message)


def _action(response: BaseResponse) -> str:
    """The operation: from X-Amz-Target (JSON protocols) or the Action parameter (query protocol)."""
    target = response.headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    return str(response.querystring.get("Action", [""])[0])


def _params(response: BaseResponse, *, json_protocol: bool) -> Mapping[str, Any]:
    if json_protocol:
        return dict(json.loads(response.raw_body or b"{}"))
    return {name: values[0] for name, values in response.querystring.items() if values}


def _body(response: BaseResponse) -> bytes:
    """The body as signed. werkzeug keeps no bytes of a form it parsed (the query protocol's requests),
    but encoding its fields again, in order, gives the client's bytes: both sides use urlencode."""
    if response.raw_body:
        return bytes(response.raw_body)
    return urlencode(list(response.form_data.items(multi=True))).encode()
