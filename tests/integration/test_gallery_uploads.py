"""Uploads: a presigned PUT, then the bucket's event through the ingest queue makes the item.

The PUT itself goes through boto3 to the key the URL names (moto serves presigned URLs without
checking them; what the URL signs is tested in tests/unit/test_storage_presign.py).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import boto3
import pytest
from gallery_storage import PNG, fill_storage, put, s3, start, upload
from media_samples import image_bytes, mp4, tkhd, trak

from galleria import clock
from galleria.config import get_settings
from galleria.domain.teams import GIB, Plan
from galleria.domain.uploads import INGEST_LEASE_SECONDS, MAX_UPLOAD_BYTES
from galleria.storage import MediaStorage
from galleria.uploads import ingest
from galleria.uploads.repository import UploadsRepository
from galleria_local.in_process import LambdaContext, sqs_event

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef


def bucket_bytes(prefix: str = "") -> int:
    objects = s3().list_objects_v2(Bucket=get_settings().media_bucket, Prefix=prefix).get("Contents", [])
    return sum(obj["Size"] for obj in objects)


def ingest_messages() -> list[MessageTypeDef]:
    """The bucket events waiting on the ingest queue (S3's configuration test event left out)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.get_queue_url(QueueName="galleria-IngestQueue")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [m for m in messages if "Records" in m["Body"]]


def storage_used(stack, team) -> int:
    return stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()["used"]


def at(monkeypatch: pytest.MonkeyPatch, shift: timedelta) -> None:
    """Move the service's clock ``shift`` from now."""
    moment = clock.now() + shift
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_starting_an_upload_hands_out_a_put_url_limited_to_the_declared_file(stack, team) -> None:
    response = start(stack, team)

    body = response.json()
    assert response.status == 201
    assert body["method"] == "PUT"
    assert body["itemId"].startswith("gal_")
    assert body["headers"] == {"Content-Type": "image/png", "Content-Length": str(len(PNG))}
    assert "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost" in body["uploadUrl"]
    expires_in = datetime.fromisoformat(body["expiresAt"]) - datetime.now(UTC)
    assert timedelta(minutes=14) < expires_in <= timedelta(minutes=15)
    status = stack.request("GET", body["statusUrl"], key=team.key).json()
    assert (status["status"], status["item"], status["filename"]) == ("pending", None, "holiday.png")
    # Nothing exists in the gallery until the file has arrived and been checked.
    assert stack.request("GET", f"/api/v1/gallery/{body['itemId']}", key=team.key).status == 404


def test_a_real_png_becomes_an_uploaded_item_with_thumbnails(stack, team) -> None:
    status = upload(stack, team, PNG, filename="C:\\photos\\holiday.png")

    assert status["status"] == "ready" and status["error"] is None
    item = status["item"]
    assert item["source"] == "uploaded"
    assert (item["type"], item["mimeType"], item["width"], item["height"]) == ("image", "image/png", 80, 60)
    assert (item["title"], item["prompt"], item["aspectRatio"]) == ("holiday", "", "4:3")
    assert item["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert item["fileSize"] == len(PNG)
    assert item["thumbnailUrl"]
    listed = stack.request("GET", "/api/v1/gallery", key=team.key).json()
    assert [i["id"] for i in listed["items"]] == [item["id"]]
    download = stack.request(
        "GET", f"/api/v1/gallery/{item['id']}/download", key=team.key, query={"format": "original"}
    )
    assert download.body == PNG  # stored byte for byte
    facets = stack.request("GET", "/api/v1/gallery/facets", key=team.key).json()
    assert facets["types"]["image"] == 1 and facets["models"] == {"upload": 1}
    # The upload object is gone; what remains is the item's original and its two thumbnails.
    assert bucket_bytes("uploads/") == 0
    storage = stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()
    assert storage["used"] == bucket_bytes() and storage["itemCount"] == 1


@pytest.mark.parametrize(
    ("fmt", "mime_type", "frames"),
    [("JPEG", "image/jpeg", 1), ("WEBP", "image/webp", 1), ("GIF", "image/gif", 3)],
)
def test_every_image_format_is_accepted(stack, team, fmt: str, mime_type: str, frames: int) -> None:
    data = image_bytes(fmt, (40, 40), frames=frames)

    item = upload(stack, team, data, filename=f"a.{fmt.lower()}", content_type=mime_type)["item"]

    assert (item["mimeType"], item["width"], item["height"]) == (mime_type, 40, 40)
    assert item["thumbnailUrl"]


def test_the_content_decides_the_type_not_the_name_or_declared_type(stack, team) -> None:
    jpeg = image_bytes("JPEG")

    item = upload(stack, team, jpeg, filename="really.png", content_type="image/png")["item"]

    assert item["mimeType"] == "image/jpeg"


def test_a_text_file_named_png_is_refused_and_deleted(stack, team) -> None:
    status = upload(stack, team, b"just some notes, not a picture\n" * 4, filename="notes.png")

    assert status["status"] == "failed"
    assert status["error"]["code"] == "invalid_image"
    assert "not a recognised image or video" in status["error"]["message"]
    assert status["item"] is None
    assert stack.request("GET", f"/api/v1/gallery/{status['itemId']}", key=team.key).status == 404
    assert bucket_bytes() == 0
    storage = stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()
    assert (storage["used"], storage["itemCount"]) == (0, 0)


def test_a_truncated_image_is_refused(stack, team) -> None:
    status = upload(stack, team, PNG[: len(PNG) // 2])

    assert status["status"] == "failed" and status["error"]["code"] == "invalid_image"


def test_a_video_becomes_a_video_item_without_thumbnails(stack, team) -> None:
    video = mp4(trak(b"vide", tkhd(1280, 720)))

    status = upload(stack, team, video, filename="clip.mp4", content_type="video/mp4")

    item = status["item"]
    assert (item["type"], item["mimeType"], item["width"], item["height"]) == (
        "video",
        "video/mp4",
        1280,
        720,
    )
    assert item["aspectRatio"] == "16:9"
    assert item["thumbnailUrl"] is None
    assert stack.request("GET", "/api/v1/gallery", key=team.key, query={"type": "video"}).json()["total"] == 1
    assert stack.request("GET", "/api/v1/gallery", key=team.key, query={"type": "image"}).json()["total"] == 0
    assert stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()["used"] == len(video)


def test_a_video_downloads_as_itself_and_refuses_image_conversions(stack, team) -> None:
    video = mp4(trak(b"vide", tkhd(640, 360)))
    item_id = upload(stack, team, video, filename="clip.mp4", content_type="video/mp4")["itemId"]
    path = f"/api/v1/gallery/{item_id}/download"

    plain = stack.request("GET", path, key=team.key)
    as_png = stack.request("GET", path, key=team.key, query={"format": "png"})

    assert (plain.status, plain.body, plain.headers["content-type"]) == (200, video, "video/mp4")
    assert 'filename="' + item_id + '.mp4"' in plain.headers["content-disposition"]
    assert as_png.status == 400
    assert "is a video" in as_png.json()["error"]


def test_an_uploaded_gif_downloads_as_png_and_can_seed_a_generation(stack, team) -> None:
    gif = image_bytes("GIF", (40, 30), frames=2)
    item_id = upload(stack, team, gif, filename="loop.gif", content_type="image/gif")["itemId"]

    download = stack.request("GET", f"/api/v1/gallery/{item_id}/download", key=team.key)
    body = {"prompt": "the same, at night", "model": "local/procedural", "sourceItemId": item_id}
    generated = stack.request(
        "POST", "/api/v1/generate-image", key=team.key, json_body={**body, "async": True}
    )
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{generated.json()['jobId']}", key=team.key).json()

    assert download.body.startswith(b"\x89PNG")
    assert job["status"] == "succeeded", job


def test_a_video_cannot_seed_a_generation(stack, team) -> None:
    video = mp4(trak(b"vide", tkhd(640, 360)))
    item_id = upload(stack, team, video, filename="clip.mp4", content_type="video/mp4")["itemId"]
    body = {"prompt": "a still of this", "model": "local/procedural", "sourceItemId": item_id}

    response = stack.request("POST", "/api/v1/generate-image", key=team.key, json_body=body)

    assert response.status == 400
    assert response.json()["code"] == "invalid_image"
    assert "is a video" in response.json()["error"]


def test_an_oversized_upload_is_refused_before_a_url_is_issued(stack, team) -> None:
    response = start(stack, team, size=MAX_UPLOAD_BYTES["image"] + 1)

    assert response.status == 413
    assert response.json()["code"] == "payload_too_large"
    assert "30 MB" in response.json()["error"]


def test_a_file_larger_than_its_kind_allows_is_refused_on_arrival(
    stack, team, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start(stack, team).json()
    monkeypatch.setitem(MAX_UPLOAD_BYTES, "image", len(PNG) - 1)  # the client PUT more than allowed
    put(started, PNG)
    stack.run_ingest()

    status = stack.request("GET", started["statusUrl"], key=team.key).json()
    assert (status["status"], status["error"]["code"]) == ("failed", "payload_too_large")
    assert bucket_bytes() == 0


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(
    stack, team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_UPLOAD_PIXELS", 80 * 60 - 1)

    status = upload(stack, team, PNG)

    assert (status["status"], status["error"]["code"]) == ("failed", "invalid_image")
    assert "80x60" in status["error"]["message"]
    assert bucket_bytes() == 0


def test_uploads_are_refused_when_the_plan_storage_is_full(stack, make_team) -> None:
    team = make_team(plan=Plan.FREE)
    started = start(stack, team).json()  # fits now
    fill_storage(team.team_id, GIB - 10)  # then other uploads fill the gallery

    refused = start(stack, team)
    put(started, PNG)
    stack.run_ingest()

    assert refused.status == 413
    assert refused.json()["code"] == "storage_quota_exceeded"
    assert refused.json()["limit"] == GIB
    status = stack.request("GET", started["statusUrl"], key=team.key).json()
    assert (status["status"], status["error"]["code"]) == ("failed", "storage_quota_exceeded")
    assert bucket_bytes() == 0


def test_a_redelivered_event_creates_no_second_item(stack, team) -> None:
    started = start(stack, team).json()
    put(started, PNG)
    messages = ingest_messages()
    handler = stack.handler("IngestWorkerFunction")
    first = handler(sqs_event(messages), LambdaContext())
    put(started, PNG)  # the file arrives again (a retried PUT) and its event is delivered again
    second = handler(sqs_event(messages), LambdaContext())

    assert first == second == {"batchItemFailures": []}
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 1
    storage = stack.request("GET", "/api/v1/gallery/storage", key=team.key).json()
    assert (storage["used"], storage["itemCount"]) == (bucket_bytes(), 1)
    assert bucket_bytes("uploads/") == 0


def test_a_run_that_stopped_after_writing_the_item_is_finished_by_the_next(
    stack, make_team, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(plan=Plan.FREE)
    started = start(stack, team).json()
    put(started, PNG)
    messages = ingest_messages()
    real_settle = UploadsRepository.settle
    monkeypatch.setattr(UploadsRepository, "settle", lambda *args, **kwargs: 1 / 0)  # the run dies here
    handler = stack.handler("IngestWorkerFunction")

    crashed = handler(sqs_event(messages), LambdaContext())
    monkeypatch.setattr(UploadsRepository, "settle", real_settle)
    counted, in_bucket = storage_used(stack, team), bucket_bytes()  # the item was written and counted
    fill_storage(team.team_id, GIB - 1)  # then the gallery filled up: checking again would refuse it
    at(monkeypatch, timedelta(seconds=INGEST_LEASE_SECONDS + 1))  # the dead run's lease runs out
    retried = handler(sqs_event(messages), LambdaContext())

    assert [f["itemIdentifier"] for f in crashed["batchItemFailures"]] == [messages[0]["MessageId"]]
    assert counted == in_bucket - len(PNG)  # all but the upload object, which was still there
    assert retried == {"batchItemFailures": []}
    status = stack.request("GET", started["statusUrl"], key=team.key).json()
    assert status["status"] == "ready" and status["item"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert storage_used(stack, team) == GIB - 1  # not counted a second time
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 1
    assert bucket_bytes("uploads/") == 0


def test_a_second_delivery_waits_while_a_run_holds_the_upload(stack, team, monkeypatch) -> None:
    started = start(stack, team).json()
    put(started, PNG)
    assert UploadsRepository().claim(started["itemId"], clock.now())  # another run is at work
    messages = ingest_messages()
    handler = stack.handler("IngestWorkerFunction")

    waiting = handler(sqs_event(messages), LambdaContext())
    status = stack.request("GET", started["statusUrl"], key=team.key).json()["status"]
    at(monkeypatch, timedelta(seconds=INGEST_LEASE_SECONDS + 1))  # that run died
    taken_over = handler(sqs_event(messages), LambdaContext())

    assert len(waiting["batchItemFailures"]) == 1 and status == "processing"
    assert taken_over == {"batchItemFailures": []}
    assert stack.request("GET", started["statusUrl"], key=team.key).json()["status"] == "ready"


def test_the_item_keeps_the_bytes_that_were_checked(stack, team, monkeypatch) -> None:
    started = start(stack, team).json()
    put(started, PNG)
    real_find = MediaStorage.find

    def find_then_swap(storage: MediaStorage, key: str) -> bytes | None:
        checked = real_find(storage, key)
        put(started, b"<html>not what was checked</html>")  # a second PUT with the same URL
        return checked

    monkeypatch.setattr(MediaStorage, "find", find_then_swap)
    stack.run_ingest()
    monkeypatch.undo()

    item = stack.request("GET", started["statusUrl"], key=team.key).json()["item"]
    download = stack.request(
        "GET", f"/api/v1/gallery/{item['id']}/download", key=team.key, query={"format": "original"}
    )
    assert download.body == PNG
    assert item["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_the_stored_original_is_served_as_what_it_is(stack, team) -> None:
    video = mp4(trak(b"vide", tkhd(320, 240)))

    item = upload(stack, team, video, filename="clip.png", content_type="image/png")["item"]

    key = f"teams/{team.team_id}/items/{item['id']}/original.mp4"
    head = s3().head_object(Bucket=get_settings().media_bucket, Key=key)
    assert (item["mimeType"], head["ContentType"]) == ("video/mp4", "video/mp4")


def test_an_upload_whose_file_is_gone_fails_with_a_reason(stack, team) -> None:
    started = start(stack, team).json()
    put(started, PNG)
    s3().delete_object(Bucket=get_settings().media_bucket, Key=f"uploads/{team.team_id}/{started['itemId']}")

    stack.run_ingest()

    status = stack.request("GET", started["statusUrl"], key=team.key).json()
    assert (status["status"], status["error"]["code"]) == ("failed", "upload_missing")


def test_the_storage_check_on_arrival_counts_the_thumbnails(stack, make_team) -> None:
    team = make_team(plan=Plan.FREE)
    started = start(stack, team).json()
    fill_storage(team.team_id, GIB - len(PNG))  # the original would just fit, its thumbnails not
    put(started, PNG)
    stack.run_ingest()

    status = stack.request("GET", started["statusUrl"], key=team.key).json()
    assert (status["status"], status["error"]["code"]) == ("failed", "storage_quota_exceeded")


def test_an_object_nobody_asked_for_is_deleted(stack, team) -> None:
    bucket = get_settings().media_bucket
    s3().put_object(Bucket=bucket, Key=f"uploads/{team.team_id}/gal_madeup", Body=PNG)
    s3().put_object(Bucket=bucket, Key="uploads/stray.png", Body=PNG)

    stack.run_ingest()

    assert bucket_bytes() == 0
    assert stack.request("GET", "/api/v1/gallery", key=team.key).json()["total"] == 0


def test_another_team_cannot_see_an_upload(stack, team, other_team) -> None:
    started = start(stack, team).json()

    response = stack.request("GET", started["statusUrl"], key=other_team.key)

    assert response.status == 404
    assert stack.request("GET", started["statusUrl"], key=team.key).json()["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filename": "a.svg", "contentType": "image/svg+xml", "size": 10}, "contentType"),
        ({"filename": "a.png", "contentType": "image/png", "size": 0}, "size"),
        ({"filename": "a.png", "contentType": "image/png", "size": "10"}, "size"),
        ({"filename": "", "contentType": "image/png", "size": 10}, "filename"),
        ({"filename": "a\x00.png", "contentType": "image/png", "size": 10}, "filename"),
        ({"filename": "a.png", "contentType": "image/png", "size": 10, "tags": []}, "tags"),
    ],
)
def test_bad_upload_requests_are_refused_with_a_reason(stack, team, body: dict, field: str) -> None:
    response = stack.request("POST", "/api/v1/gallery/uploads", key=team.key, json_body=body)

    assert response.status == 400
    assert field in response.json()["error"]
