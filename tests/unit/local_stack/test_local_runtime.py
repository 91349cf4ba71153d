"""Function pools: worker processes as Lambda execution environments."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from galleria_local.runtime import TIMEOUT_ERROR_TYPE, FunctionPool

# `make unit` leaves these out: function worker processes, timeouts and all, seconds in all.
pytestmark = pytest.mark.slow

HANDLER = """
    import os
    import sys
    import time

    import shared_thing  # from the layer

    def handler(event, context):
        action = event["action"]
        if action == "describe":
            return {
                "pid": os.getpid(),
                "environ": dict(os.environ),
                "cwd": os.getcwd(),
                "path": sys.path[:2],
                "layer": shared_thing.VALUE,
                "context": {
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "aws_request_id": context.aws_request_id,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "remaining": context.get_remaining_time_in_millis(),
                },
            }
        if action == "sleep":
            time.sleep(event["seconds"])
            return {"pid": os.getpid()}
        if action == "raise":
            raise ValueError("bad input")
        if action == "print":
            print("hello from the handler")
            return "printed"
        if action == "unserializable":
            return {"value": object()}
        if action == "exit":
            os._exit(3)
"""

AWS_ENVIRONMENT = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def code_uri(write_code) -> Path:
    write_code("layer", "shared_thing", 'VALUE = "from the layer"\n')
    return write_code("function", "app", HANDLER)


@pytest.fixture
def make_pool(make_spec, code_uri: Path, tmp_path: Path) -> Iterator:
    pools: list[FunctionPool] = []

    def make(max_workers: int = 8, handler: str = "app.handler", **overrides: object) -> FunctionPool:
        spec = make_spec(code_uri, handler, layers=(tmp_path / "layer",), **overrides)
        pool = FunctionPool(spec, AWS_ENVIRONMENT, tmp_path, max_workers=max_workers)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_a_worker_runs_with_the_function_environment_code_and_layers(
    make_pool, code_uri: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "provider-key")
    monkeypatch.setenv("UNRELATED_SECRET", "not for functions")
    pool = make_pool(environment={"ITEMS_TABLE": "galleria-ItemsTable", "AWS_REGION": "eu-west-1"})

    result = pool.invoke({"action": "describe"})

    assert result.error is None
    environ = result.payload["environ"]
    assert environ["ITEMS_TABLE"] == "galleria-ItemsTable"
    assert environ["AWS_REGION"] == "us-east-1"  # reserved: the function cannot point itself elsewhere
    assert environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert environ["GEMINI_API_KEY"] == "provider-key"
    assert "UNRELATED_SECRET" not in environ
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == "galleria-TestFunction"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environ["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "5"
    assert environ["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environ["POWERTOOLS_DEV"] == "false"
    assert result.payload["cwd"] == str(code_uri)
    assert result.payload["path"] == [str(code_uri), str(tmp_path / "layer")]
    assert result.payload["layer"] == "from the layer"
    context = result.payload["context"]
    assert context["function_name"] == "galleria-TestFunction"
    assert context["function_version"] == "$LATEST"
    assert (
        context["invoked_function_arn"]
        == "arn:aws:lambda:us-east-1:123456789012:function:galleria-TestFunction"
    )
    assert context["memory_limit_in_mb"] == "256"
    assert context["aws_request_id"] == result.request_id
    assert context["log_group_name"] == "/aws/lambda/galleria-TestFunction"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", context["log_stream_name"])
    assert 4000 < context["remaining"] <= 5000


def test_a_warm_worker_is_reused(make_pool) -> None:
    pool = make_pool()

    first, second = pool.invoke({"action": "describe"}), pool.invoke({"action": "describe"})

    assert first.payload["pid"] == second.payload["pid"]
    assert pool.worker_count == 1


def test_a_handler_error_is_reported_and_the_worker_stays(make_pool) -> None:
    pool = make_pool()
    before = pool.invoke({"action": "describe"})

    failed = pool.invoke({"action": "raise"})
    after = pool.invoke({"action": "describe"})

    assert failed.error is not None
    assert (failed.error.error_type, failed.error.message) == ("ValueError", "bad input")
    assert any("app.py" in line for line in failed.error.stack_trace)
    assert after.payload["pid"] == before.payload["pid"]


def test_an_invocation_over_the_timeout_kills_its_worker(make_pool) -> None:
    pool = make_pool(timeout_seconds=1)
    pid = pool.invoke({"action": "describe"}).payload["pid"]
    started = time.monotonic()

    result = pool.invoke({"action": "sleep", "seconds": 30})

    assert result.timed_out
    assert result.error is not None and result.error.error_type == TIMEOUT_ERROR_TYPE
    assert time.monotonic() - started < 3
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert pool.worker_count == 0
    assert pool.invoke({"action": "describe"}).payload["pid"] != pid


def test_the_callers_wait_limit_cuts_below_the_function_timeout(make_pool) -> None:
    pool = make_pool(timeout_seconds=10)
    pool.invoke({"action": "describe"})  # warm, so the limit applies to the invocation alone
    started = time.monotonic()

    result = pool.invoke({"action": "sleep", "seconds": 5}, wait_limit_seconds=0.5)

    assert result.timed_out
    assert time.monotonic() - started < 2


def test_the_handlers_output_goes_to_the_function_log(make_pool, tmp_path: Path) -> None:
    pool = make_pool()

    result = pool.invoke({"action": "print"})

    log = (tmp_path / "TestFunction.log").read_text()
    assert result.payload == "printed"
    assert "hello from the handler" in log
    assert f"START RequestId: {result.request_id}" in log
    assert f"REPORT RequestId: {result.request_id}" in log


def test_an_import_error_fails_the_init_which_is_retried_on_the_next_invocation(
    make_pool, write_code, tmp_path: Path
) -> None:
    broken = make_pool(handler="missing_module.handler")
    missing_handler = make_pool(handler="app.nope")

    failed = broken.invoke({"action": "describe"})
    write_code("function", "missing_module", "def handler(event, context):\n    return 'fixed'\n")
    retried = broken.invoke({"action": "describe"})

    assert failed.error is not None and failed.error.error_type == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing_module'" in failed.error.message
    assert retried.payload == "fixed"
    assert missing_handler.invoke({}).error.error_type == "Runtime.HandlerNotFound"


def test_results_that_are_not_json_and_crashed_workers_are_errors(make_pool) -> None:
    pool = make_pool()

    unserializable = pool.invoke({"action": "unserializable"})
    crashed = pool.invoke({"action": "exit"})

    assert unserializable.error is not None and unserializable.error.error_type == "Runtime.MarshalError"
    assert crashed.error is not None and crashed.error.error_type == "Runtime.ExitError"
    assert pool.invoke({"action": "describe"}).error is None


def test_concurrent_invocations_share_at_most_max_workers_processes(make_pool) -> None:
    pool = make_pool(max_workers=2)
    pool.invoke({"action": "describe"})
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=4) as executor:
        results = list(executor.map(lambda _: pool.invoke({"action": "sleep", "seconds": 0.4}), range(4)))

    assert all(result.error is None for result in results)
    assert len({result.payload["pid"] for result in results}) == 2
    assert time.monotonic() - started >= 0.8  # two rounds of two


def test_closing_the_pool_ends_invocations_in_flight(make_pool) -> None:
    pool = make_pool(timeout_seconds=30)
    pool.invoke({"action": "describe"})

    with ThreadPoolExecutor(max_workers=1) as executor:
        in_flight = executor.submit(pool.invoke, {"action": "sleep", "seconds": 20})
        time.sleep(0.3)
        started = time.monotonic()
        pool.close()
        result = in_flight.result(timeout=5)

    assert result.error is not None
    assert time.monotonic() - started < 3
    assert pool.invoke({"action": "describe"}).error.error_type == "Runtime.Unavailable"
