"""Lambda SnapStart: what an API function's snapshot may keep, and what each restored copy makes anew.

With SnapStart on (template parameter ``SnapStart``), Lambda runs a function's initialisation once
per published version, snapshots the memory, and starts every later execution environment from that
snapshot. Whatever the initialisation built is then shared by every copy, so:

- before the snapshot, the first request's fixed costs are paid once: the settings parsed and the
  DynamoDB client every request's key lookup needs. The client opens no connection until it sends,
  and its credentials come from Lambda's container endpoint under SnapStart, refreshed as they expire;
- after a restore, each copy reseeds ``random`` (else every copy would draw the same retry jitter)
  and closes any connection the snapshot could hold, since its peer is long gone. Identifiers and
  tokens come from ``secrets``, which reads the operating system's entropy at each call.

The hooks register through ``snapshot_restore_py``, which Lambda's Python runtimes provide; outside
Lambda it is absent and nothing registers.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from galleria import aws
from galleria.config import get_settings

WARM_CLIENTS = ("dynamodb",)


def register_hooks() -> bool:
    """Register the snapshot hooks when the runtime supports them; whether it did."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    _register(register_before_snapshot, register_after_restore)
    return True


def _register(
    before_snapshot: Callable[[Callable[[], None]], object],
    after_restore: Callable[[Callable[[], None]], object],
) -> None:
    before_snapshot(prepare_snapshot)
    after_restore(refresh_after_restore)


def prepare_snapshot() -> None:
    """Pay the first request's fixed costs once, in the snapshot."""
    get_settings()
    for service in WARM_CLIENTS:
        aws.client(service)


def refresh_after_restore() -> None:
    """Make anew what no two restored copies may share."""
    random.seed()
    aws.close_connections()
