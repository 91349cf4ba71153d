"""Every sample event in events/ drives its function's handler (as `sam local invoke -e` would)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"

# What each sample answers against an empty gallery with a valid key.
EXPECTED_STATUS = {
    "generate_image.json": 202,  # the test stack waits 0 s, so the job is still queued
    "get_job.json": 404,
    "list_models.json": 200,
    "get_account.json": 200,
    "list_gallery.json": 200,
    "get_item.json": 404,
    "download_item.json": 404,
    "get_media.json": 404,
    "create_collection.json": 201,
    "bulk_tag.json": 200,  # the unknown id is reported in "failed"
    "share_item.json": 404,  # the sample names an item this team does not have
}


def _function_for(stack, event: dict) -> str:
    if event.get("source") == "aws.events":
        return "TrashPurgeFunction"
    if "Records" in event:
        queue = event["Records"][0]["eventSourceARN"].rsplit("-", 1)[-1]
        return {
            "GenerationQueue": "GenerationWorkerFunction",
            "GenerationDeadLetterQueue": "GenerationDeadLetterFunction",
            "IngestQueue": "IngestWorkerFunction",
            "ExportQueue": "ExportWorkerFunction",
        }[queue]
    method, path = event["routeKey"].split(" ", 1)
    return next(
        spec.logical_id
        for spec in stack.functions.values()
        if any(route.method == method and route.path == path for route in spec.routes)
    )


def test_every_function_has_a_sample_event(stack) -> None:
    covered = {_function_for(stack, json.loads(p.read_text())) for p in EVENTS.glob("*.json")}
    assert covered == set(stack.functions)


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("*.json")))
def test_sample_event_invokes_its_handler(stack, team, lambda_context, name: str) -> None:
    event = json.loads((EVENTS / name).read_text())
    if "headers" in event and "authorization" in event["headers"]:
        event["headers"]["authorization"] = f"Bearer {team.key}"

    result = stack.handler(_function_for(stack, event))(event, lambda_context)

    if "Records" in event:
        # An unknown job, upload or trashed item is dropped, not retried forever.
        assert result == {"batchItemFailures": []}
    elif event.get("source") == "aws.events":
        assert result == {"purged": 0, "finished": True}
    else:
        assert result["statusCode"] == EXPECTED_STATUS[name], result.get("body")
