"""One request at a time into the parts of moto that are not safe under concurrency.

DynamoDB: moto applies a transaction part by part and rolls a failed one back by restoring a
copy of the whole table, so two concurrent transactions can undo each other's writes (a failed
credit check would give back credits another request had just taken). S3: moto keeps each
object in a temporary file that a concurrent delete or overwrite closes, so a copy or read
racing it fails with "I/O operation on closed file". Real DynamoDB and S3 are atomic per
request; serialising moto's handlers gives the local stack and the tests the same guarantee.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from moto.dynamodb.responses import DynamoHandler
from moto.s3.responses import S3Response

_DYNAMODB = threading.Lock()
_S3 = threading.RLock()  # an S3 handler may call into another one
_HANDLERS: list[tuple[type, str, AbstractContextManager[bool]]] = [
    (DynamoHandler, "call_action", _DYNAMODB),
    (S3Response, "key_response", _S3),
    (S3Response, "bucket_response", _S3),
]


def _locked(handler: Callable[..., Any], lock: AbstractContextManager[bool]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return handler(*args, **kwargs)

    return call


@contextmanager
def serialised_moto() -> Iterator[None]:
    """While open, moto's DynamoDB and S3 handlers run one request at a time (per service)."""
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in _HANDLERS]
    for owner, name, lock in _HANDLERS:
        setattr(owner, name, _locked(getattr(owner, name), lock))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
