"""Variants: edits (and edit sessions), clean background and grid split, through the handlers."""

from __future__ import annotations

import io

import boto3
import pytest
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.providers.base import ProviderError, ProviderRequest
from galleria.providers.local_procedural import LocalProceduralProvider

GALLERY = "/api/v1/gallery"


def credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def item(stack, team, item_id: str) -> dict:
    response = stack.request("GET", f"{GALLERY}/{item_id}", key=team.key)
    assert response.status == 200, response.body
    return response.json()


def finished_job(stack, team, job_id: str) -> dict:
    stack.run_workers()
    job = stack.request("GET", f"/api/v1/jobs/{job_id}", key=team.key).json()
    assert job["status"] in ("succeeded", "failed"), job
    return job


def edit(stack, team, item_id: str, prompt: str, **fields: str):
    """POST an edit of ``item_id`` with the offline model."""
    body = {"prompt": prompt, "model": "local/procedural", **fields}
    return stack.request("POST", f"{GALLERY}/{item_id}/edit", key=team.key, json_body=body)


def variant_made(stack, team, job_id: str) -> str:
    """Run the job and return the id of the variant it made."""
    return finished_job(stack, team, job_id)["result"]["images"][0]["galleryId"]


def original_pixels(team, item_id: str, body: dict) -> Image.Image:
    ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[body["mimeType"]]
    key = f"teams/{team.team_id}/items/{item_id}/original.{ext}"
    data = boto3.client("s3", region_name="us-east-1").get_object(Bucket=get_settings().media_bucket, Key=key)
    return Image.open(io.BytesIO(data["Body"].read()))


@pytest.fixture
def parent(stack, team) -> str:
    [made] = stack.make_items(team, 1, prompt="A teapot on a table")
    stack.request("PATCH", f"{GALLERY}/{made}", key=team.key, json_body={"tags": ["kitchen", "still-life"]})
    return made


# --- edits ---------------------------------------------------------------------------------
def test_an_edit_makes_a_variant_that_inherits_tags_and_costs_ten(stack, team, parent) -> None:
    before = credits(team)

    accepted = edit(stack, team, parent, "Make the teapot blue")
    job = finished_job(stack, team, accepted.json()["jobId"])
    [image] = job["result"]["images"]
    variant = item(stack, team, image["galleryId"])
    family = item(stack, team, parent)

    assert accepted.status == 202
    assert accepted.json()["editSessionId"].startswith("ses_")
    assert job["status"] == "succeeded" and credits(team) == before - 10
    assert (variant["source"], variant["parentId"]) == ("edited", parent)
    assert variant["prompt"] == "Make the teapot blue"
    assert variant["tags"] == ["kitchen", "still-life"]
    assert variant["parent"]["id"] == parent and variant["parent"]["deletedAt"] is None
    assert [v["id"] for v in family["variants"]] == [variant["id"]]


def test_variants_are_listed_newest_first(stack, team, parent) -> None:
    made = []
    for prompt in ("Blue", "Green", "Red"):
        accepted = edit(stack, team, parent, prompt).json()
        made.append(variant_made(stack, team, accepted["jobId"]))

    assert [v["id"] for v in item(stack, team, parent)["variants"]] == list(reversed(made))


def test_a_failed_edit_is_refunded(stack, team, parent, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    class Broken:
        def generate(self, request: ProviderRequest):
            raise ProviderError("The provider rejected the image")

    monkeypatch.setattr(worker_module, "provider_for", lambda model: Broken())
    before = credits(team)

    accepted = edit(stack, team, parent, "Blue").json()
    job = finished_job(stack, team, accepted["jobId"])
    session = stack.request("GET", f"/api/v1/sessions/{accepted['editSessionId']}", key=team.key).json()

    assert job["status"] == "failed" and credits(team) == before
    assert item(stack, team, parent)["variants"] == []
    assert [(t["status"], t["variantId"]) for t in session["turns"]] == [("failed", None)]


def test_the_edit_source_is_a_png_of_at_most_4_mb(stack, team, parent, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    seen: list[bytes] = []

    class Recording(LocalProceduralProvider):
        def generate(self, request: ProviderRequest):
            seen.append(request.source_image or b"")
            return super().generate(request)

    monkeypatch.setattr(worker_module, "provider_for", lambda model: Recording())
    # A JPEG original of 2,400 × 2,400 noise (about 10 MB as PNG).
    key = f"teams/{team.team_id}/items/{parent}/original.png"
    noise = Image.effect_noise((2400, 2400), 90).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > 4 * 1024 * 1024
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=get_settings().media_bucket, Key=key, Body=buffer.getvalue()
    )

    accepted = edit(stack, team, parent, "Blue").json()
    finished_job(stack, team, accepted["jobId"])

    [source] = seen
    assert source.startswith(b"\x89PNG") and len(source) <= 4 * 1024 * 1024
    shrunk = Image.open(io.BytesIO(source))
    assert shrunk.width == shrunk.height and shrunk.width < 2400


def test_edits_are_refused_with_a_reason(stack, team, other_team, parent) -> None:
    path = f"{GALLERY}/{parent}/edit"
    empty = stack.request("POST", path, key=team.key, json_body={"prompt": "  "})
    unknown_model = stack.request("POST", path, key=team.key, json_body={"prompt": "x", "model": "nope/nope"})
    foreign = stack.request("POST", path, key=other_team.key, json_body={"prompt": "x"})
    bad_session = stack.request("POST", path, key=team.key, json_body={"prompt": "x", "sessionId": "../x"})

    assert (empty.status, empty.json()["code"]) == (400, "invalid_prompt")
    assert (unknown_model.status, unknown_model.json()["code"]) == (400, "invalid_model")
    assert foreign.status == 404
    assert bad_session.status == 400
    stack.request("DELETE", f"{GALLERY}/{parent}", key=team.key)
    assert stack.request("POST", path, key=team.key, json_body={"prompt": "x"}).status == 409


# --- sessions ------------------------------------------------------------------------------
def test_a_session_continues_from_its_latest_image(stack, team, parent) -> None:
    opened = stack.request("POST", f"{GALLERY}/{parent}/open-in-chat", key=team.key)
    session_id = opened.json()["sessionId"]

    variants = []
    for prompt in ("Make it blue", "Add steam"):
        accepted = edit(stack, team, parent, prompt, sessionId=session_id).json()
        assert accepted["editSessionId"] == session_id
        variants.append(variant_made(stack, team, accepted["jobId"]))
    session = stack.request("GET", f"/api/v1/sessions/{session_id}", key=team.key).json()

    assert opened.status == 201 and opened.json()["galleryImageId"] == parent
    assert item(stack, team, variants[0])["parentId"] == parent
    assert item(stack, team, variants[1])["parentId"] == variants[0]  # edited from the latest image
    assert [(t["turn"], t["prompt"], t["status"], t["variantId"]) for t in session["turns"]] == [
        (1, "Make it blue", "succeeded", variants[0]),
        (2, "Add steam", "succeeded", variants[1]),
    ]


def test_sessions_belong_to_their_team(stack, team, other_team, parent) -> None:
    session_id = stack.request("POST", f"{GALLERY}/{parent}/open-in-chat", key=team.key).json()["sessionId"]

    assert stack.request("GET", f"/api/v1/sessions/{session_id}", key=other_team.key).status == 404
    assert stack.request("POST", f"{GALLERY}/{parent}/open-in-chat", key=other_team.key).status == 404
    [theirs] = stack.make_items(other_team, 1)
    sneaky = stack.request(
        "POST",
        f"{GALLERY}/{theirs}/edit",
        key=other_team.key,
        json_body={"prompt": "x", "sessionId": session_id},
    )
    assert sneaky.status == 404
    assert stack.request("GET", f"/api/v1/sessions/{session_id}", key=team.key).json()["turns"] == []


# --- derived images ------------------------------------------------------------------------
def test_split_makes_pixel_exact_cells_in_reading_order(stack, team, parent) -> None:
    before = credits(team)
    accepted = stack.request(
        "POST", f"{GALLERY}/{parent}/split", key=team.key, json_body={"rows": 2, "cols": 3}
    )
    job = finished_job(stack, team, accepted.json()["jobId"])
    whole = original_pixels(team, parent, item(stack, team, parent)).convert("RGB")

    cells = [image["galleryId"] for image in job["result"]["images"]]
    assert accepted.status == 202 and len(cells) == 6 and credits(team) == before
    width, height = whole.size
    for index, cell_id in enumerate(cells):
        cell = item(stack, team, cell_id)
        assert (cell["source"], cell["parentId"], cell["mimeType"]) == ("derived", parent, "image/png")
        row, col = divmod(index, 3)
        left, top = col * width // 3, row * height // 2
        box = (left, top, left + cell["width"], top + cell["height"])
        pixels = original_pixels(team, cell_id, cell).convert("RGB")
        assert pixels.tobytes() == whole.crop(box).tobytes(), index
    assert sum(item(stack, team, c)["width"] for c in cells[:3]) == width


def test_clean_background_makes_a_transparent_png_variant(stack, team) -> None:
    [made] = stack.make_items(team, 1)
    # A known picture: a red square on a plain white background.
    picture = Image.new("RGB", (200, 160), "white")
    picture.paste((200, 30, 30), (60, 40, 140, 120))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=get_settings().media_bucket,
        Key=f"teams/{team.team_id}/items/{made}/original.png",
        Body=buffer.getvalue(),
    )

    titled = stack.request("PATCH", f"{GALLERY}/{made}", key=team.key, json_body={"title": "Red square"})
    assert titled.status == 200, titled.body

    accepted = stack.request("POST", f"{GALLERY}/{made}/clean-background", key=team.key)
    job = finished_job(stack, team, accepted.json()["jobId"])
    variant = item(stack, team, job["result"]["images"][0]["galleryId"])
    cleaned = original_pixels(team, variant["id"], variant)

    assert (variant["source"], variant["parentId"], variant["mimeType"]) == ("derived", made, "image/png")
    assert variant["title"] == "Red square"  # the same picture, changed: it keeps its name
    assert cleaned.mode == "RGBA" and cleaned.size == (200, 160)
    # Pillow types a pixel for any mode; an RGBA one is a tuple.
    assert cleaned.getpixel((5, 5))[3] == 0 and cleaned.getpixel((100, 80))[3] == 255  # type: ignore[index]


def test_split_and_clean_background_refuse_bad_input(stack, team, other_team, parent) -> None:
    for body in ({"rows": 0, "cols": 2}, {"rows": 5, "cols": 1}, {"rows": 2}, {"rows": "2", "cols": 2}):
        response = stack.request("POST", f"{GALLERY}/{parent}/split", key=team.key, json_body=body)
        assert response.status == 400, body
    assert stack.request("POST", f"{GALLERY}/{parent}/clean-background", key=other_team.key).status == 404
    assert (
        stack.request(
            "POST", f"{GALLERY}/{parent}/split", key=other_team.key, json_body={"rows": 2, "cols": 2}
        ).status
        == 404
    )


# --- variants and their parent's life --------------------------------------------------------
def test_trashing_a_parent_keeps_its_variants_and_forever_makes_them_roots(stack, team, parent) -> None:
    accepted = edit(stack, team, parent, "Blue").json()
    variant_id = variant_made(stack, team, accepted["jobId"])

    stack.request("DELETE", f"{GALLERY}/{parent}", key=team.key)
    in_trash = item(stack, team, variant_id)
    stack.request("DELETE", f"{GALLERY}/{parent}/forever", key=team.key)
    root = item(stack, team, variant_id)

    assert in_trash["parentId"] == parent and in_trash["parent"]["deletedAt"] is not None
    assert (root["parentId"], root["parent"]) == (None, None)
    assert root["tags"] == ["kitchen", "still-life"]


def test_an_idempotency_key_gives_one_edit_and_one_charge(stack, team, parent) -> None:
    before = credits(team)
    body = {"prompt": "Blue", "model": "local/procedural"}
    headers = {"idempotency-key": "edit-7"}

    first = stack.request("POST", f"{GALLERY}/{parent}/edit", key=team.key, json_body=body, headers=headers)
    again = stack.request("POST", f"{GALLERY}/{parent}/edit", key=team.key, json_body=body, headers=headers)

    assert (first.status, again.status) == (202, 202)
    assert again.json() == first.json()
    assert credits(team) == before - 10


def test_an_edit_whose_image_was_deleted_for_good_meanwhile_is_refunded(stack, team, parent) -> None:
    before = credits(team)
    accepted = edit(stack, team, parent, "Blue").json()
    stack.request("DELETE", f"{GALLERY}/{parent}", key=team.key)
    stack.request("DELETE", f"{GALLERY}/{parent}/forever", key=team.key)

    job = finished_job(stack, team, accepted["jobId"])

    assert job["status"] == "failed" and job["error"]["code"] == "source_missing"
    assert credits(team) == before


def test_a_session_edit_names_an_image_of_that_session(stack, team, parent) -> None:
    session_id = stack.request("POST", f"{GALLERY}/{parent}/open-in-chat", key=team.key).json()["sessionId"]
    [unrelated] = stack.make_items(team, 1)
    before = credits(team)

    response = stack.request(
        "POST",
        f"{GALLERY}/{unrelated}/edit",
        key=team.key,
        json_body={"prompt": "x", "sessionId": session_id},
    )

    assert response.status == 400 and session_id in response.json()["error"]
    assert credits(team) == before
    assert stack.request("GET", f"/api/v1/sessions/{session_id}", key=team.key).json()["turns"] == []


def test_a_refused_edit_opens_no_session(stack, team, parent) -> None:
    AccountsRepository().add_credits(team.team_id, -credits(team) + 5)  # 5 left: an edit costs 10

    response = stack.request("POST", f"{GALLERY}/{parent}/edit", key=team.key, json_body={"prompt": "Blue"})

    assert response.status == 402 and response.json()["required"] == 10
    assert credits(team) == 5
    sessions = boto3.client("dynamodb", region_name="us-east-1").query(
        TableName=get_settings().items_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :session)",
        ExpressionAttributeValues={":pk": {"S": f"TEAM#{team.team_id}"}, ":session": {"S": "SESSION#"}},
    )
    assert sessions["Items"] == []
