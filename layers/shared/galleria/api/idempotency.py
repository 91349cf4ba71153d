"""``Idempotency-Key`` on requests that spend credits: a retry gets the first answer, charged once.

Powertools Idempotency stores the first answer (status and JSON body) in the idempotency table,
keyed by team and key. The request body is hashed too: the same key with a different body is a
client bug and answers 422; a retry while the first request still runs answers 409. Failures
(4xx/5xx) are not stored, so a retry after one runs again. Records live for 24 hours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from galleria import aws
from galleria.config import get_settings
from galleria.errors import Conflict, IdempotencyKeyReused, InvalidRequest

HEADER = "idempotency-key"
EXPIRES_AFTER_SECONDS = 24 * 3600
_KEY = re.compile(
    r"^[\x21-\x7e]{1,255}$"
)  # printable ASCII without spaces, as in Stripe's and the IETF draft

Answer = tuple[int, dict[str, Any]]
logger = Logger(child=True)


def _unchanged(answer: Answer) -> Answer:
    return answer


def idempotent_answer(
    operation: str,
    team_id: str,
    key: str | None,
    payload: dict[str, Any],
    produce: Callable[[], Answer],
    lambda_context: Any = None,
    *,
    keep: Callable[[Answer], Answer] = _unchanged,
    replay: Callable[[Answer], Answer] = _unchanged,
) -> Answer:
    """``produce()`` once per (team, key); later calls with the key get its answer back.

    ``keep`` shrinks an answer to what the record stores (a record holds 400 KB at most) and
    ``replay`` turns a stored answer back into the full one.
    """
    if key is None:
        return produce()
    if not _KEY.match(key):
        raise InvalidRequest(
            "Invalid Idempotency-Key header: use 1-255 printable ASCII characters, no spaces"
        )

    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[teamId, key]",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)  # an abandoned attempt frees the key at timeout
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table, boto3_client=aws.client("dynamodb")
    )

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        key_prefix=f"galleria.{operation}",
    )
    def run(request: dict[str, Any]) -> dict[str, Any]:
        produced.append(produce())
        status, body = keep(produced[0])
        return {"status": status, "body": body}

    produced: list[Answer] = []
    try:
        stored = run(request={"teamId": team_id, "key": key, "payload": payload})
    except IdempotencyPersistenceLayerError:
        if not produced:
            raise
        # The work is done and charged: answer it, even though a retry will not find the record.
        logger.exception("idempotency record not saved", operation=operation)
        return produced[0]
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly") from exc
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body"
        ) from exc
    if produced:
        return produced[0]
    return replay((int(stored["status"]), stored["body"]))


def idempotent_response(
    app: APIGatewayHttpResolver,
    operation: str,
    team_id: str,
    payload: dict[str, Any],
    produce: Callable[[], Answer],
    *,
    keep: Callable[[Answer], Answer] = _unchanged,
    replay: Callable[[Answer], Answer] = _unchanged,
) -> Response[Any]:
    """``idempotent_answer`` for the current request of ``app``, as a JSON response."""
    status, body = idempotent_answer(
        operation,
        team_id,
        app.current_event.headers.get(HEADER),
        payload,
        produce,
        app.lambda_context,
        keep=keep,
        replay=replay,
    )
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)
