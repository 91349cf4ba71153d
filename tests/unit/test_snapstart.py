"""SnapStart hooks: the snapshot keeps the first request's fixed costs, and every restored copy
draws its own random numbers and opens its own connections."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import snapshot_restore_py

from galleria import aws, snapstart
from galleria.config import get_settings


@pytest.fixture(autouse=True)
def _fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_the_runtime_library_receives_both_hooks() -> None:
    before = len(snapshot_restore_py.get_before_snapshot())
    after = len(snapshot_restore_py.get_after_restore())

    assert snapstart.register_hooks()

    assert snapshot_restore_py.get_before_snapshot()[before][0] is snapstart.prepare_snapshot
    assert snapshot_restore_py.get_after_restore()[after][0] is snapstart.refresh_after_restore


def test_outside_lambda_nothing_registers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # the import fails, as off Lambda
    assert not snapstart.register_hooks()


def test_the_snapshot_holds_the_client_the_first_request_uses() -> None:
    get_settings.cache_clear()
    snapstart.prepare_snapshot()
    made_before_the_snapshot = aws.client("dynamodb")

    assert aws.client("dynamodb") is made_before_the_snapshot
    assert get_settings.cache_info().currsize == 1


def test_two_copies_restored_from_one_snapshot_draw_different_numbers() -> None:
    snapshot = random.getstate()

    def restored_copy_draws(*, refreshed: bool) -> list[float]:
        random.setstate(snapshot)
        if refreshed:
            snapstart.refresh_after_restore()
        return [random.random() for _ in range(4)]

    assert restored_copy_draws(refreshed=False) == restored_copy_draws(refreshed=False)
    assert restored_copy_draws(refreshed=True) != restored_copy_draws(refreshed=True)


class _CountingServer(ThreadingHTTPServer):
    """Answers every DynamoDB call with an empty table list and counts the connections it accepted."""

    connections = 0

    def process_request(self, request: object, client_address: object) -> None:
        self.connections += 1
        super().process_request(request, client_address)  # type: ignore[arg-type]


class _EmptyTables(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"TableNames": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[_CountingServer]:
    server = _CountingServer(("127.0.0.1", 0), _EmptyTables)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    server.shutdown()
    server.server_close()


def test_a_restored_copy_opens_its_own_connection_and_keeps_working(endpoint: _CountingServer) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.list_tables()
    dynamodb.list_tables()
    assert endpoint.connections == 1  # the pooled connection is reused while nothing restores

    snapstart.refresh_after_restore()

    assert dynamodb.list_tables()["TableNames"] == []
    assert endpoint.connections == 2
