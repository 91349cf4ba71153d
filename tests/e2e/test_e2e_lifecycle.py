"""Starting and stopping the local stack the way a developer does."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.e2e


def test_ctrl_c_stops_everything_cleanly(tmp_path, stack_control) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stack = stack_control.start(tmp_path, port)

    output = stack_control.stop(stack)

    assert stack.process.returncode == 0
    assert "Traceback" not in output
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))
