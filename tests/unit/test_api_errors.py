"""Validation failures become one sentence naming the field, with the contract's code."""

import pytest

from galleria.api.errors import describe_validation_error
from galleria.api.presenters.storage import format_bytes
from galleria.errors import InvalidRequest
from galleria.tags import normalise_tags


@pytest.mark.parametrize(
    ("error", "message", "code"),
    [
        (
            {"loc": ("body", "prompt"), "type": "string_too_short", "msg": "too short"},
            "Invalid field 'prompt': too short",
            "invalid_prompt",
        ),
        ({"loc": ("body", "prompt"), "type": "missing"}, "Missing required field 'prompt'", "invalid_prompt"),
        ({"loc": ("body", "bogus"), "type": "extra_forbidden"}, "Unknown field 'bogus'", "invalid_request"),
        ({"loc": ("body", 12), "type": "json_invalid"}, "Malformed JSON body", "invalid_request"),
        (
            {"loc": ("query", "limit"), "type": "less_than_equal", "msg": "≤ 100"},
            "Invalid field 'limit': ≤ 100",
            "invalid_request",
        ),
    ],
)
def test_validation_errors_name_the_field(error: dict, message: str, code: str) -> None:
    assert describe_validation_error([error]) == (message, code)


def test_tags_are_trimmed_lowercased_and_deduplicated() -> None:
    assert normalise_tags([" Sunset ", "sunset", "Landscape"]) == ["sunset", "landscape"]


@pytest.mark.parametrize("tags", [[""], ["x" * 51], [f"t{i}" for i in range(51)]])
def test_bad_tags_are_rejected(tags: list[str]) -> None:
    with pytest.raises(InvalidRequest):
        normalise_tags(tags)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (1024**3, "1.0 GB"), (50 * 1024**3, "50 GB")],
)
def test_sizes_are_formatted_for_people(size: int, text: str) -> None:
    assert format_bytes(size) == text
