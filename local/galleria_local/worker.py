"""Inside one execution environment: a spawned process that imports a handler once and serves invocations.

Standard library only: whatever this module imports, every cold start of every function pays for.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs; sent to it pickled when it is spawned."""

    function_name: str
    function_arn: str
    handler: str
    code_uri: str
    layers: tuple[str, ...]
    environment: dict[str, str]
    memory_mb: int
    log_path: str


@dataclass(frozen=True)
class Invocation:
    request_id: str
    event_json: str
    deadline_epoch_ms: int


class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler (the attributes handlers use)."""

    def __init__(self, config: WorkerConfig, invocation: Invocation) -> None:
        self.function_name = config.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.function_arn
        # A string, as in Lambda's runtime (it reads AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
        self.memory_limit_in_mb = str(config.memory_mb)
        self.aws_request_id = invocation.request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_epoch_ms = invocation.deadline_epoch_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_epoch_ms - int(time.time() * 1000), 0)


class InitError(Exception):
    """The handler could not be loaded; carries Lambda's error type for it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def serve(connection: Connection, config: WorkerConfig) -> None:
    """Worker process entry point: init (the cold start), then one invocation per message until None."""
    # Ctrl-C reaches the whole process group; the parent stops workers itself, without tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _redirect_output(config.log_path)
    _enter_environment(config)

    try:
        handler = _load_handler(config.handler)
    except InitError as exc:
        stack = traceback.format_tb(exc.__cause__.__traceback__ if exc.__cause__ else None)
        print(f"[ERROR] {exc.error_type}: {exc}\n{''.join(stack)}", file=sys.stderr)
        connection.send(_error(exc.error_type, str(exc), stack))
        return
    connection.send(None)  # ready

    while True:
        try:
            invocation = connection.recv()
        except EOFError:
            return
        if invocation is None:
            return
        connection.send(_invoke(handler, LambdaContext(config, invocation), invocation))


def _invoke(handler: Handler, context: LambdaContext, invocation: Invocation) -> tuple[str, Any]:
    """('ok', JSON text of the result) or ('error', Lambda's error document), with Lambda's log lines."""
    request_id = invocation.request_id
    print(f"START RequestId: {request_id} Version: $LATEST")
    started = time.perf_counter()
    try:
        result = handler(json.loads(invocation.event_json), context)
    except Exception as exc:
        stack = traceback.format_tb(exc.__traceback__)
        print(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(stack)}", file=sys.stderr)
        reply: tuple[str, Any] = ("error", _error(type(exc).__name__, str(exc), stack))
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


def _redirect_output(log_path: str) -> None:
    """stdout and stderr (file descriptors included, for C extensions) go to the function's log."""
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _enter_environment(config: WorkerConfig) -> None:
    """The function's variables only, and imports from its code and layers first, as in /var/task, /opt."""
    os.environ.clear()
    os.environ.update(config.environment)
    time.tzset()
    runtime_prefixes = tuple({sys.prefix, sys.base_prefix})
    runtime_paths = [path for path in sys.path if path and path.startswith(runtime_prefixes)]
    sys.path[:] = [config.code_uri, *config.layers, *runtime_paths]
    os.chdir(config.code_uri)


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
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InitError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return function


def _error(error_type: str, message: str, stack: list[str]) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": stack}
