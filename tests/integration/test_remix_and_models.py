"""Remix (re-run an item's recorded request with a new seed) and what /models says each model can do."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from galleria.accounts.repository import AccountsRepository
from galleria.config import get_settings
from galleria.domain.items import Rendition
from galleria.items.repository import ItemsRepository
from galleria.providers.local_procedural import LocalProceduralProvider

GENERATE = "/api/v1/generate-image"


def _credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def _finished_job(stack, team, response) -> dict:
    assert response.status == 202, response.json()
    stack.run_workers()
    return stack.request("GET", f"/api/v1/jobs/{response.json()['jobId']}", key=team.key).json()


def _make_item(stack, team, **body) -> dict:
    request = {"prompt": "A lighthouse at dawn", "model": "local/procedural", "seed": 7, **body}
    job = _finished_job(stack, team, stack.request("POST", GENERATE, key=team.key, json_body=request))
    item_id = job["result"]["images"][0]["galleryId"]
    return stack.request("GET", f"/api/v1/gallery/{item_id}", key=team.key).json()


def _expire_tmp_objects() -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().media_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tmp/").get("Contents", [])
    assert listed
    for entry in listed:
        s3.delete_object(Bucket=bucket, Key=entry["Key"])


def _remix(stack, team, item_id: str, **kwargs):
    return stack.request("POST", f"/api/v1/gallery/{item_id}/remix", key=team.key, **kwargs)


def _png_data_url(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_remix_reruns_the_recorded_request_with_a_new_seed(stack, team) -> None:
    original = _make_item(stack, team, aspectRatio="16:9", stylePreset="comic-book", galleryTags=["sea"])

    job = _finished_job(stack, team, _remix(stack, team, original["id"]))

    assert job["status"] == "succeeded" and job["result"]["creditsCharged"] == 5
    remixed = stack.request(
        "GET", f"/api/v1/gallery/{job['result']['images'][0]['galleryId']}", key=team.key
    ).json()
    assert remixed["id"] != original["id"]
    assert (remixed["prompt"], remixed["stylePreset"], remixed["aspectRatio"], remixed["tags"]) == (
        original["prompt"],
        "comic-book",
        "16:9",
        ["sea"],
    )
    assert remixed["seed"] != original["seed"]
    assert remixed["generation"]["seedUsed"] == remixed["seed"]
    assert remixed["generation"]["request"] == {**original["generation"]["request"], "seed": remixed["seed"]}
    assert remixed["sha256"] != original["sha256"]
    assert _credits(team) == 1000 - 10


def test_a_remix_of_an_item_made_from_an_upload_uses_the_source_it_kept(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module

    original = _make_item(stack, team, sourceImage=_png_data_url((200, 30, 30)))
    stored = ItemsRepository().get(team.team_id, original["id"])
    assert Rendition.SOURCE in stored.object_keys
    _expire_tmp_objects()  # the upload's own copy under tmp/ lives a day only
    seen: list[bytes | None] = []

    class Recording(LocalProceduralProvider):
        def generate(self, request):
            seen.append(request.source_image)
            return super().generate(request)

    monkeypatch.setattr(worker_module, "provider_for", lambda model: Recording())
    job = _finished_job(stack, team, _remix(stack, team, original["id"]))

    assert job["status"] == "succeeded"
    assert seen and seen[0] is not None
    assert Image.open(io.BytesIO(seen[0])).getpixel((0, 0)) == (200, 30, 30)


def test_the_source_image_has_no_public_link(stack, team) -> None:
    from galleria import media_links

    item = _make_item(stack, team, sourceImage=_png_data_url((0, 0, 200)))
    path = media_links.media_path(team.team_id, item["id"], Rendition.SOURCE)
    response = stack.request("GET", path)
    assert response.status == 404


def test_remix_of_another_teams_item_is_not_found(stack, team, other_team) -> None:
    item = _make_item(stack, team)
    response = _remix(stack, other_team, item["id"])
    assert response.status == 404
    assert _credits(other_team) == 1000
    assert stack.run_workers() == 0


def test_remix_of_an_unknown_or_malformed_id(stack, team) -> None:
    assert _remix(stack, team, "gal_01jzzzzzzzzzzzzzzzzzzzzzzz").status == 404
    assert _remix(stack, team, "not-an-id").status == 400


def test_remix_with_an_idempotency_key_charges_once(stack, team) -> None:
    item = _make_item(stack, team)
    headers = {"Idempotency-Key": "remix-1"}
    first = _remix(stack, team, item["id"], headers=headers)
    again = _remix(stack, team, item["id"], headers=headers)
    assert first.json() == again.json()
    assert _credits(team) == 1000 - 10


def _set_env(monkeypatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _models(stack) -> dict[str, dict]:
    return {m["id"]: m for m in stack.request("GET", "/api/v1/models").json()["models"]}


def test_models_without_keys_are_listed_as_unavailable(stack) -> None:
    models = _models(stack)
    assert models["local/procedural"]["available"] and models["local/procedural"]["default"]
    assert not any(m["available"] for name, m in models.items() if name != "local/procedural")


def test_a_key_or_a_key_parameter_makes_a_providers_models_available(stack, monkeypatch) -> None:
    _set_env(monkeypatch, GEMINI_API_KEY="g-key", BFL_API_KEY_PARAMETER="/galleria/bfl-api-key")
    models = _models(stack)
    assert models["google/gemini-2.5-flash-image"]["available"]
    assert models["google/gemini-3-pro-image"]["available"]
    assert models["bfl/flux-kontext-max"]["available"]
    assert not models["openai/gpt-5-nano"]["available"]
    assert models["google/gemini-2.5-flash-image"]["default"]  # a real Gemini key makes it the default


def test_emulated_providers_do_not_change_the_default(stack, monkeypatch) -> None:
    _set_env(monkeypatch, GEMINI_API_KEY="emulator", EMULATED_PROVIDERS="google,openai,bfl")
    models = _models(stack)
    assert models["google/gemini-2.5-flash-image"]["available"]
    assert models["local/procedural"]["default"]


def test_models_state_what_they_can_honour(stack) -> None:
    models = _models(stack)
    assert {name for name, m in models.items() if m["capabilities"]["seed"]} == {
        "bfl/flux-kontext-max",
        "local/procedural",
    }
    for model in models.values():
        assert model["capabilities"]["maxImages"] == 4
        assert model["capabilities"]["sourceImage"] and model["capabilities"]["edit"]
        assert len(model["capabilities"]["aspectRatios"]) == 7
        assert model["pricePerImage"] == 5


def test_a_known_model_without_its_key_answers_503(stack, team) -> None:
    body = {"prompt": "x", "model": "openai/gpt-5-nano"}
    response = stack.request("POST", GENERATE, key=team.key, json_body=body)
    assert response.status == 503 and response.json()["code"] == "model_unavailable"
    assert _credits(team) == 1000


def test_an_unknown_model_answers_400_invalid_model(stack, team) -> None:
    response = stack.request(
        "POST", GENERATE, key=team.key, json_body={"prompt": "x", "model": "acme/dream-9"}
    )
    assert response.status == 400 and response.json()["code"] == "invalid_model"


@pytest.mark.parametrize("model", ["google/gemini-2.5-flash-image", "openai/gpt-5-nano"])
def test_a_seed_for_a_model_that_takes_none_is_refused(stack, team, monkeypatch, model) -> None:
    _set_env(monkeypatch, GEMINI_API_KEY="g", OPENAI_API_KEY="o")
    body = {"prompt": "x", "model": model, "seed": 42}
    response = stack.request("POST", GENERATE, key=team.key, json_body=body)
    assert response.status == 400
    assert "seed" in response.json()["error"] and model in response.json()["error"]
    assert _credits(team) == 1000
