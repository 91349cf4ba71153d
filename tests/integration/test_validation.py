"""Bad input gets a 400 that names the field, and costs nothing."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from galleria.accounts.repository import AccountsRepository


def _png_data_url(size=(64, 48)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "invalid_prompt", "prompt"),
        ({"prompt": "   "}, "invalid_prompt", "prompt"),
        ({"prompt": "x" * 4001}, "invalid_prompt", "prompt"),
        ({"prompt": 42}, "invalid_prompt", "prompt"),
        ({"prompt": "x", "model": "acme/imagine"}, "invalid_model", "acme/imagine"),
        ({"prompt": "x", "aspectRatio": "2:1"}, "invalid_request", "aspectRatio"),
        ({"prompt": "x", "numImages": 5}, "invalid_request", "numImages"),
        ({"prompt": "x", "numImages": 0}, "invalid_request", "numImages"),
        ({"prompt": "x", "numImages": "2"}, "invalid_request", "numImages"),
        ({"prompt": "x", "stylePreset": "vaporwave"}, "invalid_request", "stylePreset"),
        ({"prompt": "x", "seed": -1}, "invalid_request", "seed"),
        ({"prompt": "x", "sourceItemId": "../../etc"}, "invalid_request", "sourceItemId"),
        (
            {"prompt": "x", "collectionId": "gal_01jd0000000000000000000000"},
            "invalid_request",
            "collectionId",
        ),
        ({"prompt": "x", "galleryTags": [""]}, "invalid_request", "galleryTags"),
        ({"prompt": "x", "imageSize": "large"}, "invalid_request", "imageSize"),
        ({"prompt": "x", "async": "yes"}, "invalid_request", "async"),
        (
            {"prompt": "x", "sourceImage": "data:image/gif;base64,R0lGODlhAQABAAAAACw="},
            "invalid_image",
            "sourceImage",
        ),
        ({"prompt": "x", "sourceImage": "data:image/png;base64,!!!"}, "invalid_image", "base64"),
        (
            {
                "prompt": "x",
                "sourceImage": "data:image/png;base64," + base64.b64encode(b"not an image").decode(),
            },
            "invalid_image",
            "",
        ),
    ],
)
def test_bad_generation_requests_get_400_naming_the_problem(stack, team, body, code, field) -> None:
    response = stack.request("POST", "/api/v1/generate-image", key=team.key, json_body=body)

    assert response.status == 400, response.body
    assert response.json()["code"] == code
    assert field in response.json()["error"]
    assert AccountsRepository().get_team(team.team_id).credits == 1000


def test_malformed_json_is_a_400(stack, team) -> None:
    response = stack.request("POST", "/api/v1/generate-image", key=team.key, raw_body='{"prompt": "x",')

    assert response.status == 400
    assert response.json() == {"error": "Malformed JSON body", "code": "invalid_request"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_paging_values_get_400(stack, team, query, field) -> None:
    response = stack.request("GET", "/api/v1/gallery", key=team.key, query=query)

    assert response.status == 400
    assert field in response.json()["error"]


def test_unknown_download_format_gets_400(stack, team) -> None:
    response = stack.request(
        "GET",
        "/api/v1/gallery/gal_01jd0000000000000000000000/download",
        key=team.key,
        query={"format": "tiff"},
    )
    assert response.status == 400 and "format" in response.json()["error"]
