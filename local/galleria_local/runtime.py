"""Execution environments: per function, a pool of worker processes, like Lambda's sandboxes.

A worker is started on demand (its cold start imports the handler), reused while warm, and killed
when an invocation outlives the function's Timeout. Workers are plain `python worker.py` processes
talking over a multiprocessing Pipe rather than multiprocessing.Process children: "spawn" re-imports
the parent's main module in every child (pytest, a benchmark script...), which would inflate cold
starts and require a `__main__` guard from every script that starts a stack. Each worker also gets
exactly the function's environment, its code folder as working directory, and its own session, so
the terminal's Ctrl-C reaches only the local stack, which then stops the workers itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from galleria_local import worker as worker_module
from galleria_local.functions import FunctionSpec
from galleria_local.intrinsics import ACCOUNT_ID, REGION
from galleria_local.worker import ErrorDocument, Reply

logger = logging.getLogger(__name__)

TIMEOUT_ERROR_TYPE = "Sandbox.Timedout"
MAX_WORKERS_PER_FUNCTION = 8
# Lambda gives a function's init (imports at module level) 10 seconds.
INIT_TIMEOUT_SECONDS = 10.0
_STOP_GRACE_SECONDS = 1.0
# Taken from the local stack's own environment: what a developer's shell must lend the functions
# (real provider keys, and the provider-call knobs for trying failure paths).
INHERITED_VARIABLES = (
    "PATH",
    "HOME",
    "LANG",
    "GEMINI_API_KEY",
    "OPENAI_API_KEY",
    "BFL_API_KEY",
    "PROVIDER_MAX_RETRIES",
    "PROVIDER_BUDGET_SECONDS",
)
_WORKER_SCRIPT = str(Path(worker_module.__file__).resolve())


@dataclass(frozen=True)
class FunctionError:
    """Lambda's error document for an invocation that did not return."""

    error_type: str
    message: str
    stack_trace: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, document: ErrorDocument) -> FunctionError:
        return cls(document["errorType"], document["errorMessage"], tuple(document.get("stackTrace", ())))


@dataclass(frozen=True)
class InvocationResult:
    request_id: str
    duration_ms: float
    payload: Any = None
    error: FunctionError | None = None

    @property
    def timed_out(self) -> bool:
        return self.error is not None and self.error.error_type == TIMEOUT_ERROR_TYPE


class _InvocationFailed(Exception):
    def __init__(self, error: FunctionError) -> None:
        super().__init__(error.message)
        self.error = error


_STOPPING = FunctionError("Runtime.Unavailable", "The local stack is stopping")


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection

    def stop(self, *, graceful: bool = True) -> None:
        stop_workers([self], graceful=graceful)


def stop_workers(workers: list[_Worker], *, graceful: bool = True) -> None:
    """Ask idle workers to exit (they do at once), then terminate, then kill what is left.

    A busy worker cannot read the request to exit: `graceful=False` goes straight to terminate.
    """
    if graceful:
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):  # already gone
                worker.connection.send(None)
    for end in (None, subprocess.Popen.terminate, subprocess.Popen.kill):
        if end is None and not graceful:
            continue
        alive = [worker for worker in workers if worker.process.poll() is None]
        for worker in alive:
            if end is not None:
                end(worker.process)
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        for worker in alive:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(max(deadline - time.monotonic(), 0))
    for worker in workers:
        worker.connection.close()


class FunctionPool:
    """Invokes one function in up to `max_workers` processes at once; extra callers wait for a free one."""

    def __init__(
        self,
        spec: FunctionSpec,
        aws_environment: Mapping[str, str],
        log_dir: Path,
        max_workers: int = MAX_WORKERS_PER_FUNCTION,
    ) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.logical_id}.log"
        self._environment = lambda_environment(spec, aws_environment)
        self._arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.name}"
        self._max_workers = max_workers
        self._condition = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._starting = 0
        self._closed = False

    @property
    def worker_count(self) -> int:
        with self._condition:
            return len(self._workers)

    def invoke(self, event: Any, *, wait_limit_seconds: float | None = None) -> InvocationResult:
        """Run the handler on `event`.

        `wait_limit_seconds` caps the whole wait, cold start included, below the function's Timeout (as
        API Gateway's integration timeout does); the worker is killed when either runs out.
        """
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        limit = started + wait_limit_seconds if wait_limit_seconds is not None else math.inf
        try:
            worker = self._acquire(limit)
        except _InvocationFailed as failure:
            return InvocationResult(request_id, _elapsed_ms(started), error=failure.error)

        timeout = self.spec.timeout_seconds
        deadline_ms = int((time.time() + timeout) * 1000)
        try:
            worker.connection.send((request_id, json.dumps(event), deadline_ms, self._arn))
            answered = worker.connection.poll(max(min(timeout, limit - time.monotonic()), 0))
            reply: Reply | None = worker.connection.recv() if answered else None
        except (EOFError, OSError):
            self._discard(worker)
            message = f"Runtime exited with error: exit status {worker.process.poll()}"
            error = FunctionError("Runtime.ExitError", message)
            return InvocationResult(request_id, _elapsed_ms(started), error=error)
        if reply is None:
            self._discard(worker)
            error = FunctionError(
                TIMEOUT_ERROR_TYPE, f"Task timed out after {time.monotonic() - started:.2f} seconds"
            )
            return InvocationResult(request_id, _elapsed_ms(started), error=error)
        self._release(worker)
        if reply[0] == "ok":
            return InvocationResult(request_id, _elapsed_ms(started), payload=json.loads(reply[1]))
        return InvocationResult(request_id, _elapsed_ms(started), error=FunctionError.from_document(reply[1]))

    def close(self) -> None:
        """Stop every worker, busy or idle; later invocations fail at once."""
        with self._condition:
            self._closed = True
            idle = list(self._idle)
            busy = [worker for worker in self._workers if worker not in idle]
            self._workers.clear()
            self._idle.clear()
            self._condition.notify_all()
        stop_workers(busy, graceful=False)
        stop_workers(idle)

    def _acquire(self, limit: float) -> _Worker:
        """The most recently used idle worker (the warmest), else a new one while under the cap."""
        with self._condition:
            while True:
                if self._closed:
                    raise _InvocationFailed(_STOPPING)
                if self._idle:
                    return self._idle.pop()
                if len(self._workers) + self._starting < self._max_workers:
                    self._starting += 1
                    break
                remaining = limit - time.monotonic()
                if remaining <= 0:
                    raise _InvocationFailed(
                        FunctionError(TIMEOUT_ERROR_TYPE, "No execution environment was free")
                    )
                self._condition.wait(None if math.isinf(remaining) else remaining)
        try:
            worker = self._spawn(limit)
        finally:
            with self._condition:
                self._starting -= 1
                self._condition.notify()
        with self._condition:
            if not self._closed:
                self._workers.add(worker)
                return worker
        worker.stop()
        raise _InvocationFailed(_STOPPING)

    def _spawn(self, limit: float) -> _Worker:
        """Start a worker and wait for its init: the handler module imported, or the init error."""
        parent_end, child_end = multiprocessing.Pipe()
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and worker script
                [sys.executable, _WORKER_SCRIPT, str(child_end.fileno()), *map(str, self.spec.layers)],
                env={**self._environment, "AWS_LAMBDA_LOG_STREAM_NAME": stream},
                cwd=self.spec.code_uri,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(child_end.fileno(),),
                start_new_session=True,
            )
        child_end.close()
        worker = _Worker(process, parent_end)

        init_wait = max(min(INIT_TIMEOUT_SECONDS, limit - time.monotonic()), 0)
        if not parent_end.poll(init_wait):
            worker.stop(graceful=False)
            raise _InvocationFailed(
                FunctionError(TIMEOUT_ERROR_TYPE, f"Init timed out after {init_wait:.2f} s")
            )
        try:
            init_error: ErrorDocument | None = parent_end.recv()
        except (EOFError, OSError):
            worker.stop()
            message = f"Runtime exited during init: exit status {process.poll()}"
            raise _InvocationFailed(FunctionError("Runtime.ExitError", message)) from None
        if init_error is not None:
            worker.stop()  # Lambda retries init on the next invocation, in a fresh environment
            raise _InvocationFailed(FunctionError.from_document(init_error))
        logger.debug("%s: new execution environment (pid %s)", self.spec.logical_id, process.pid)
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._condition:
            if worker in self._workers:
                self._idle.append(worker)
                self._condition.notify()
                return
        worker.stop()  # the pool closed while it ran

    def _discard(self, worker: _Worker) -> None:
        """Drop a worker that timed out or broke: it gets no second chance to finish."""
        with self._condition:
            self._workers.discard(worker)
            self._condition.notify()
        worker.stop(graceful=False)


def lambda_environment(spec: FunctionSpec, aws_environment: Mapping[str, str]) -> dict[str, str]:
    """A function's process environment: a few of ours, its own variables, then what Lambda reserves."""
    return {
        **{name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ},
        **spec.environment,
        **aws_environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_seconds),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "LAMBDA_TASK_ROOT": str(spec.code_uri),
        "_HANDLER": spec.handler,
        "TZ": ":UTC",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        "POWERTOOLS_DEV": "false",
    }


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
