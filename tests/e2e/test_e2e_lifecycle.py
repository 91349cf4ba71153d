"""Starting and stopping the local stack the way a developer does."""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_ctrl_c_stops_everything_cleanly(tmp_path, stack_control) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stack = stack_control.start(tmp_path, port)
    # The banner (printed just after the stack answers) says where the gallery page is and which
    # key signs in to it.
    deadline = time.monotonic() + 10
    while "Ctrl-C stops the stack." not in (banner := stack.output_file.read_text()):
        assert time.monotonic() < deadline, banner
        time.sleep(0.1)
    page = re.search(r"Gallery +(\S+)", banner)
    assert page and page.group(1) == f"{stack.base_url}/app", banner
    assert f"API key    {stack.api_key}" in banner
    answer = httpx.get(page.group(1), timeout=10)
    assert answer.status_code == 200 and "<title>" in answer.text

    output = stack_control.stop(stack)

    assert stack.process.returncode == 0
    assert "Traceback" not in output
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))
