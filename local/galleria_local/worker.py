"""Inside one execution environment: a process that imports a handler once and serves invocations.

runtime.py starts it as `python worker.py <connection fd> [layer folder ...]` in the function's own
environment. Like Lambda's runtime it finds the handler in `_HANDLER` and the code in `LAMBDA_TASK_ROOT`.
It is run as a file, not imported as `galleria_local.worker`, and uses the standard library only: the
cold start is Python's start-up plus the handler's imports, nothing of the local stack's.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Literal, TypedDict

# What the parent sends per invocation: request id, event as JSON, deadline (epoch ms), function ARN.
Invocation = tuple[str, str, int, str]


class ErrorDocument(TypedDict):
    """Lambda's document for an invocation (or an init) that raised."""

    errorType: str
    errorMessage: str
    stackTrace: list[str]


# What the worker sends back per invocation: the result as JSON text, or the error document.
Reply = tuple[Literal["ok"], str] | tuple[Literal["error"], ErrorDocument]


class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler, read from the same variables."""

    def __init__(self, request_id: str, deadline_epoch_ms: int, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        # A string, as in Lambda's runtime.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_epoch_ms = deadline_epoch_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_epoch_ms - int(time.time() * 1000), 0)


# A handler takes the event (any JSON value) and the context; what it returns goes back as JSON.
Handler = Callable[[Any, LambdaContext], object]


class InitError(Exception):
    """The handler could not be loaded; carries Lambda's error type for it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def main(argv: Sequence[str]) -> None:
    """Init (the cold start), then one invocation per message until None or the parent goes away."""
    connection = Connection(int(argv[1]))
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # typeshed's TextIO has none; these are TextIOWrappers
    _set_import_path(os.environ["LAMBDA_TASK_ROOT"], argv[2:])

    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except InitError as exc:
        stack = traceback.format_tb(exc.__cause__.__traceback__ if exc.__cause__ else None)
        print(f"[ERROR] {exc.error_type}: {exc}\n{''.join(stack)}", file=sys.stderr)
        connection.send(_error(exc.error_type, str(exc), stack))
        return
    connection.send(None)  # ready

    while True:
        try:
            invocation: Invocation | None = connection.recv()
        except EOFError:
            return
        if invocation is None:
            return
        connection.send(_invoke(handler, invocation))


def _invoke(handler: Handler, invocation: Invocation) -> Reply:
    """('ok', JSON text of the result) or ('error', Lambda's error document), with Lambda's log lines."""
    request_id, event_json, deadline_epoch_ms, function_arn = invocation
    context = LambdaContext(request_id, deadline_epoch_ms, function_arn)
    print(f"START RequestId: {request_id} Version: {context.function_version}")
    started = time.perf_counter()
    try:
        result = handler(json.loads(event_json), context)
    except Exception as exc:
        stack = traceback.format_tb(exc.__traceback__)
        print(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(stack)}", file=sys.stderr)
        reply: Reply = ("error", _error(type(exc).__name__, str(exc), stack))
    else:
        try:
            reply = ("ok", json.dumps(result))
        except (TypeError, ValueError) as exc:
            message = f"Unable to marshal response: {exc}"
            print(f"[ERROR] Runtime.MarshalError: {message}", file=sys.stderr)
            reply = ("error", _error("Runtime.MarshalError", message, []))
    duration_ms = (time.perf_counter() - started) * 1000
    print(f"END RequestId: {request_id}")
    memory = context.memory_limit_in_mb
    print(f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tMemory Size: {memory} MB")
    return reply


def _set_import_path(task_root: str, layers: Sequence[str]) -> None:
    """The code first, then the layers, as /var/task and /opt/python, then what Python itself put there
    (the standard library and the virtualenv's packages, standing in for the runtime's), without this
    file's folder. No PYTHONPATH reaches a worker: its environment is the function's."""
    sys.path[:] = [task_root, *layers, *sys.path[1:]]


def _load_handler(handler: str) -> Handler:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    except Exception as exc:
        raise InitError(type(exc).__name__, str(exc)) from exc
    function: object = getattr(module, function_name, None)
    if not callable(function):
        raise InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return function


def _error(error_type: str, message: str, stack: list[str]) -> ErrorDocument:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": stack}


if __name__ == "__main__":
    main(sys.argv)
