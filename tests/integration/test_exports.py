"""ZIP exports: POST /gallery/exports, GET /gallery/exports/{jobId} and POST /gallery/bulk/download."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from PIL import Image

from galleria.config import get_settings

EXPORTS = "/api/v1/gallery/exports"
BULK_DOWNLOAD = "/api/v1/gallery/bulk/download"
NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_[a-z0-9-]+_gal_[0-9a-z]{26}\.(png|jpg|webp|gif|mp4|webm)$")


def s3():
    return boto3.client("s3", region_name="us-east-1")


def stored_object(key: str) -> bytes:
    return s3().get_object(Bucket=get_settings().media_bucket, Key=key)["Body"].read()


def fetch(url: str) -> bytes:
    parts = urlsplit(url)
    bucket = get_settings().media_bucket
    key = parts.path[1:] if parts.netloc.startswith(f"{bucket}.") else parts.path.removeprefix(f"/{bucket}/")
    return stored_object(key)


def export(stack, team, item_ids: list[str], fmt: str = "original") -> dict:
    accepted = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids, "format": fmt})
    assert accepted.status == 202, accepted.body
    assert accepted.json()["statusUrl"] == f"{EXPORTS}/{accepted.json()['jobId']}"
    stack.run_exports()
    status = stack.request("GET", accepted.json()["statusUrl"], key=team.key)
    assert status.status == 200
    return status.json()


def test_an_export_holds_every_file_byte_for_byte_with_a_manifest(stack, team, tmp_path: Path) -> None:
    item_ids = stack.make_items(team, 3, prompt="Sunset over the harbour!")
    stack.request("PATCH", f"/api/v1/gallery/{item_ids[0]}", key=team.key, json_body={"tags": ["sea"]})

    done = export(stack, team, item_ids)
    data = fetch(done["downloadUrl"])
    archive = zipfile.ZipFile(io.BytesIO(data))

    assert done["status"] == "succeeded" and done["itemCount"] == 3 and done["bytes"] == len(data)
    assert done["expiresAt"] > done["jobId"][:0] and done["missing"] == []
    assert archive.testzip() is None
    manifest = json.loads(archive.read("manifest.json"))
    files = [entry["file"] for entry in manifest["items"]]
    assert sorted(files) == sorted(name for name in archive.namelist() if name != "manifest.json")
    assert len(set(files)) == 3 and all(NAME.match(name) for name in files)
    for entry in manifest["items"]:
        item = stack.request("GET", f"/api/v1/gallery/{entry['id']}", key=team.key).json()
        key = f"teams/{team.team_id}/items/{entry['id']}/original.png"
        assert archive.read(entry["file"]) == stored_object(key)
        assert archive.getinfo(entry["file"]).compress_type == zipfile.ZIP_STORED  # PNG: not deflated again
        assert (entry["prompt"], entry["model"], entry["tags"], entry["createdAt"]) == (
            item["prompt"],
            item["model"],
            item["tags"],
            item["createdAt"],
        )
        assert "sunset-over-the-harbour" in entry["file"]
    if shutil.which("unzip"):
        path = tmp_path / "export.zip"
        path.write_bytes(data)
        assert subprocess.run(["unzip", "-tq", str(path)], check=False, capture_output=True).returncode == 0


def test_png_format_converts_and_vanished_items_are_listed_as_missing(stack, team, other_team) -> None:
    kept, trashed, file_gone = stack.make_items(team, 3)
    [foreign] = stack.make_items(other_team, 1)
    stack.request("DELETE", f"/api/v1/gallery/{trashed}", key=team.key)
    s3().delete_object(
        Bucket=get_settings().media_bucket, Key=f"teams/{team.team_id}/items/{file_gone}/original.png"
    )
    # Make `kept` a JPEG item, to see the conversion.
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG")
    jpeg_key = f"teams/{team.team_id}/items/{kept}/original.jpg"
    s3().put_object(Bucket=get_settings().media_bucket, Key=jpeg_key, Body=buffer.getvalue())
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=get_settings().items_table,
        Key={"pk": {"S": f"TEAM#{team.team_id}"}, "sk": {"S": f"ITEM#{kept}"}},
        UpdateExpression="SET mime_type = :jpeg, object_keys.original = :key",
        ExpressionAttributeValues={":jpeg": {"S": "image/jpeg"}, ":key": {"S": jpeg_key}},
    )

    done = export(stack, team, [kept, trashed, file_gone, foreign, "gal_doesnotexist"], fmt="png")
    archive = zipfile.ZipFile(io.BytesIO(fetch(done["downloadUrl"])))
    manifest = json.loads(archive.read("manifest.json"))

    assert done["status"] == "succeeded" and done["itemCount"] == 1
    assert done["missing"] == manifest["missing"] == [trashed, file_gone, foreign, "gal_doesnotexist"]
    [entry] = manifest["items"]
    converted = Image.open(io.BytesIO(archive.read(entry["file"])))
    assert converted.format == "PNG" and converted.size == (64, 48)
    assert other_team.team_id not in json.dumps(manifest)


def test_export_limits_and_tenancy(stack, team, other_team) -> None:
    [item_id] = stack.make_items(team, 1)
    too_many = stack.request(
        "POST", EXPORTS, key=team.key, json_body={"itemIds": [f"gal_{n}" for n in range(501)]}
    )
    empty = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": []})
    bad_format = stack.request(
        "POST", EXPORTS, key=team.key, json_body={"itemIds": [item_id], "format": "tiff"}
    )
    job_id = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": [item_id]}).json()["jobId"]

    assert (too_many.status, too_many.json()["code"]) == (400, "too_many_ids")
    assert empty.status == 400 and bad_format.status == 400
    assert stack.request("GET", f"{EXPORTS}/{job_id}", key=other_team.key).status == 404
    assert stack.request("GET", f"{EXPORTS}/{job_id}", key=team.key).json()["status"] == "queued"
    assert stack.request("GET", f"{EXPORTS}/job_%2E%2E", key=team.key).status == 400


@pytest.fixture
def finished_before_answer(stack, monkeypatch):
    """The export worker runs while bulk/download waits (as the queue's poller would)."""
    from galleria.exports.service import ExportService

    def wait(self, job, timeout_seconds):
        stack.run_exports()
        return self.jobs.find(job.id)

    monkeypatch.setattr(ExportService, "wait", wait)


def test_bulk_download_answers_a_small_zip_itself(stack, team, finished_before_answer) -> None:
    item_ids = stack.make_items(team, 2)

    response = stack.request("POST", BULK_DOWNLOAD, key=team.key, json_body={"itemIds": item_ids})

    assert response.status == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert len(archive.namelist()) == 3 and archive.testzip() is None


def test_bulk_download_redirects_to_a_large_zip(stack, team, finished_before_answer, monkeypatch) -> None:
    from galleria.api import exports as answers

    monkeypatch.setattr(answers, "INLINE_ZIP_MAX_BYTES", 100)
    item_ids = stack.make_items(team, 1)

    response = stack.request("POST", BULK_DOWNLOAD, key=team.key, json_body={"itemIds": item_ids})

    assert response.status == 303
    assert zipfile.ZipFile(io.BytesIO(fetch(response.headers["location"]))).testzip() is None


def test_bulk_download_answers_202_while_the_export_runs(stack, team) -> None:
    item_ids = stack.make_items(team, 1)

    response = stack.request("POST", BULK_DOWNLOAD, key=team.key, json_body={"itemIds": item_ids})

    assert response.status == 202
    body = response.json()
    assert body["status"] == "queued" and body["statusUrl"] == f"{EXPORTS}/{body['jobId']}"
    stack.run_exports()
    assert stack.request("GET", body["statusUrl"], key=team.key).json()["status"] == "succeeded"


def test_an_idempotency_key_gives_one_export(stack, team) -> None:
    item_ids = stack.make_items(team, 1)
    headers = {"idempotency-key": "export-42"}

    first = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids}, headers=headers)
    again = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids}, headers=headers)
    other = stack.request(
        "POST", EXPORTS, key=team.key, json_body={"itemIds": item_ids, "format": "png"}, headers=headers
    )

    assert (first.status, again.status) == (202, 202)
    assert again.json()["jobId"] == first.json()["jobId"]
    assert other.status == 422  # the same key with another body
    assert stack.run_exports() == 1


def test_a_damaged_original_is_missing_from_a_png_export_not_fatal(stack, team) -> None:
    good, damaged = stack.make_items(team, 2)
    jpeg_key = f"teams/{team.team_id}/items/{damaged}/original.jpg"
    s3().put_object(
        Bucket=get_settings().media_bucket, Key=jpeg_key, Body=b"\xff\xd8\xff\xe0 not really a jpeg"
    )
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=get_settings().items_table,
        Key={"pk": {"S": f"TEAM#{team.team_id}"}, "sk": {"S": f"ITEM#{damaged}"}},
        UpdateExpression="SET mime_type = :jpeg, object_keys.original = :key",
        ExpressionAttributeValues={":jpeg": {"S": "image/jpeg"}, ":key": {"S": jpeg_key}},
    )

    done = export(stack, team, [good, damaged], fmt="png")

    assert done["status"] == "succeeded" and done["itemCount"] == 1 and done["missing"] == [damaged]


def test_a_dead_lettered_export_is_marked_failed(stack, team) -> None:
    [item_id] = stack.make_items(team, 1)
    job_id = stack.request("POST", EXPORTS, key=team.key, json_body={"itemIds": [item_id]}).json()["jobId"]

    result = stack.dead_letter(job_id)  # the export DLQ feeds the dead-letter function too
    status = stack.request("GET", f"{EXPORTS}/{job_id}", key=team.key).json()

    assert result == {"batchItemFailures": []}
    assert status["status"] == "failed" and status["downloadUrl"] is None
    assert status["error"]["message"]
