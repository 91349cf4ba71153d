"""The AWS-calls benchmark (bench/aws_calls_per_operation.py) still drives every operation through
its real handler: a tiny gallery must give a row per operation, with the calls each must make."""

from __future__ import annotations

from pathlib import Path

import pytest

# `make unit` leaves these out: every API operation on a local stack, seconds in all.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = [
    "list (a page of 20)",
    "get",
    "patch (both tags replaced)",
    "favorite (toggle)",
    "delete (to the trash)",
    "restore",
    "bulk delete of 4",
    "bulk restore of 4",
    "share view: the page",
    "share view: its image",
    "generate, API side: 1 image",
    "generate, API side: 4 images",
    "generate, worker: 1-image job",
    "generate, worker: 4-image job",
    "generate, worker: per image",
    "generate, worker: per job",
    "generate into a collection, two tags, API side: 1 image",
    "generate into a collection, two tags, worker: per image",
    "generate into a collection, two tags, worker: per job",
]


def test_every_operation_gets_a_row_of_real_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.aws_calls_per_operation import measure, table

    rows = {row.operation: row for row in measure(items=4, bulk=4)}

    assert list(rows) == OPERATIONS
    listing = rows["list (a page of 20)"]
    assert listing.calls[("dynamodb", "Query")] >= 1 and listing.items_read > 0
    # the signing key is read from Secrets Manager once per cold start, then cached
    assert listing.cold_extra == {("secretsmanager", "GetSecretValue"): 1}
    assert rows["generate, API side: 1 image"].calls[("sqs", "SendMessage")] == 1
    assert rows["generate, worker: per image"].calls == {
        ("dynamodb", "TransactWriteItems"): 1,
        ("s3", "PutObject"): 3,
    }
    assert rows["bulk delete of 4"].calls[("s3", "CopyObject")] == 12  # original and two thumbnails
    lines = table(list(rows.values())).splitlines()
    assert len(lines) == 2 + len(OPERATIONS)
    assert all(line.count("|") == 9 for line in lines)
