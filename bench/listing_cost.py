"""Listing cost: items read by one gallery page, per filter, as the gallery grows.

Builds galleries of each size in moto (in-process, tables from template.yaml), then reads the
first and the fifth page (walking with the cursor) of each common filter and counts the items
DynamoDB reads (galleria's reads are Query, BatchGetItem and GetItem; see bench/aws_calls.py).
The target is a flat row: the same reads at 1,000, 10,000 and 50,000 items.

    .venv/bin/python -m bench.listing_cost [--sizes 1000,10000,50000] [--limit 20]
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto import mock_aws

from bench.aws_calls import counting
from bench.stack import provision_stack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef

TAGS = ["landscape", "portrait", "product", "sunset", "city", "night", "macro", "abstract"]
MODELS = ["local/procedural", "google/gemini-2.5-flash-image", "openai/gpt-5-nano", "bfl/flux-kontext-max"]


def _provision() -> None:
    for spec in provision_stack().functions:
        os.environ.update(spec.environment)


def _seed(team_id: str, size: int, collection_id: str, rng: random.Random) -> None:
    """Write ``size`` items with their memberships and counters straight into the tables (the
    transactional path would take minutes in moto, which copies a table per transaction)."""
    from galleria import aws, clock
    from galleria.domain.items import Item, Rendition
    from galleria.items.changes import Change, Effects, effects_of, listed_collections, listed_tags
    from galleria.items.records import to_record
    from galleria.items.writer import ItemWriter

    writer = ItemWriter()
    dynamodb = aws.client("dynamodb")
    requests: list[tuple[str, dict[str, Any]]] = []
    effects = Effects()
    start_ms = 1_700_000_000_000
    for n in range(size):
        created = clock.iso(datetime.fromtimestamp((start_ms + n * 60_000) / 1000, tz=UTC))
        item = Item(
            id=f"gal_{n:026d}",
            team_id=team_id,
            type="video" if n % 10 == 0 else "image",
            prompt=f"Picture {n} of a {rng.choice(TAGS)}",
            model=rng.choice(MODELS),
            width=1024,
            height=1024,
            mime_type="image/png",
            file_size=1000,
            tags=rng.sample(TAGS, 2),
            favorite=n % 7 == 0,
            collections=[collection_id] if n % 5 == 0 else [],
            archived=n % 50 == 0,
            sha256="0" * 64,
            object_keys={Rendition.ORIGINAL: f"teams/{team_id}/items/{n}/original.png"},
            storage_bytes=1000,
            created_at=created,
            updated_at=created,
        )
        if n % 10 == 3:
            item = item.model_copy(update={"deleted_at": created, "purge_at": created})
        requests.append((writer.table, to_record(item)))
        requests += [
            (writer.table, writer.tags.put_op(item, tag)["Put"]["Item"]) for tag in listed_tags(item)
        ]
        members = writer.collections.memberships
        requests += [
            (writer.collections.table, members.put_op(item, c)["Put"]["Item"])
            for c in listed_collections(item)
        ]
        effects.add(effects_of(Change(None, item)))
    for start in range(0, len(requests), 25):
        batch: dict[str, list[WriteRequestTypeDef]] = {}
        for table, record in requests[start : start + 25]:
            batch.setdefault(table, []).append({"PutRequest": {"Item": record}})
        dynamodb.batch_write_item(RequestItems=batch)
    for part in writer.shared_parts(team_id, effects):
        update = part["Update"]
        update.pop("ConditionExpression", None)
        dynamodb.update_item(**update)


def _filters(collection_id: str) -> dict[str, Any]:
    """Each common filter by name; None stands for the trash listing."""
    from galleria.items.filters import ListingFilter

    return {
        "none": ListingFilter(),
        "type=video": ListingFilter(type="video"),
        "favorite=true": ListingFilter(favorite=True),
        "collection": ListingFilter(collection=collection_id),
        "tags=sunset": ListingFilter(tags=("sunset",)),
        "model": ListingFilter(model=MODELS[1]),
        "archived=true": ListingFilter(archived=True),
        "trash": None,
    }


def _page_reads(team_id: str, wanted: Any, limit: int) -> tuple[int, int]:
    """Items read by the first page and by the fifth (reached through the cursor)."""
    from galleria import aws
    from galleria.items.service import GalleryService

    service = GalleryService()
    reads = []
    cursor = None
    for _ in range(5):
        with counting(aws.client("dynamodb")) as count:
            if wanted is None:
                page = service.trash_page(team_id, limit=limit, page=1, cursor=cursor)
            else:
                page = service.list(team_id, wanted, limit=limit, page=1, cursor=cursor, newest_first=True)
        reads.append(count.items_read)
        cursor = page.next_cursor
    return reads[0], reads[4]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "MEDIA_SIGNING_KEY": "bench"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    rows: dict[str, list[str]] = {}
    with mock_aws():
        _provision()
        from galleria.accounts import admin
        from galleria.accounts.repository import AccountsRepository
        from galleria.collections.service import CollectionsService
        from galleria.domain.teams import Plan

        for size in sizes:
            team = admin.create_team(
                AccountsRepository(), name=f"bench-{size}", plan=Plan.ENTERPRISE, credits=0
            )
            collection = CollectionsService().create(team.id, "Bench", None)
            _seed(team.id, size, collection.id, random.Random(size))
            for name, wanted in _filters(collection.id).items():
                first, fifth = _page_reads(team.id, wanted, args.limit)
                rows.setdefault(name, []).extend([str(first), str(fifth)])
    header = " | ".join(f"{size:,} p1 | {size:,} p5" for size in sizes)
    print(f"Items read per page (limit {args.limit}):")
    print(f"| filter | {header} |")
    print("|---" * (1 + 2 * len(sizes)) + "|")
    for name, cells in rows.items():
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
