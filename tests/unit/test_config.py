"""Settings come from the environment as template.yaml and the local stack set it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from galleria.config import Settings


def test_each_setting_comes_from_its_variable_in_any_case() -> None:
    settings = Settings.from_environment(
        {"ITEMS_TABLE": "items", "Jobs_Table": "jobs", "media_bucket": "media", "UNRELATED": "x"}
    )

    assert (settings.items_table, settings.jobs_table, settings.media_bucket) == ("items", "jobs", "media")
    assert settings.accounts_table == ""


def test_numbers_and_the_overrides_object_are_parsed() -> None:
    settings = Settings.from_environment(
        {
            "GENERATION_MAX_RECEIVE_COUNT": "7",
            "SYNC_WAIT_SECONDS": "2.5",
            "PROVIDER_MODEL_OVERRIDES": '{"google/gemini-3-pro-image": "gemini-3-pro-image"}',
        }
    )

    assert settings.generation_max_receive_count == 7
    assert settings.sync_wait_seconds == 2.5
    assert settings.provider_model_overrides == {"google/gemini-3-pro-image": "gemini-3-pro-image"}


def test_a_malformed_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="generation_max_receive_count"):
        Settings.from_environment({"GENERATION_MAX_RECEIVE_COUNT": "five"})
