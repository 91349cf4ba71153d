"""Configuration as one model, read once from the environment (template.yaml sets it).

A plain pydantic model validated from the environment, not pydantic-settings: every function reads
its settings, and importing pydantic-settings (its sources, dotenv, argparse) cost about 10 ms of
each cold start (bench/cold_start.py) for features these settings do not use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

LOCAL_MODEL = "local/procedural"
CLOUD_DEFAULT_MODEL = "google/gemini-2.5-flash-image"
# Per provider: the setting holding its key, and the one naming an SSM parameter that holds it.
PROVIDER_KEY_SETTINGS: dict[str, tuple[str, str]] = {
    "google": ("gemini_api_key", "gemini_api_key_parameter"),
    "openai": ("openai_api_key", "openai_api_key_parameter"),
    "bfl": ("bfl_api_key", "bfl_api_key_parameter"),
}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)

    items_table: str = ""
    jobs_table: str = ""
    accounts_table: str = ""
    collections_table: str = ""
    shares_table: str = ""
    media_bucket: str = ""
    generation_queue_url: str = ""
    export_queue_url: str = ""
    idempotency_table: str = ""

    # The HMAC key for /media links comes from Secrets Manager; MEDIA_SIGNING_KEY overrides it
    # (unit tests, scripts) so nothing else needs to special-case a missing secret.
    media_signing_secret_arn: str = ""
    media_signing_key: str = ""

    default_model: str = ""
    # Provider keys: set directly (local runs), or as the name of an SSM SecureString parameter
    # (deployments; template.yaml never holds a key). Either one makes the provider's models available.
    gemini_api_key: str = ""
    openai_api_key: str = ""
    bfl_api_key: str = ""
    gemini_api_key_parameter: str = ""
    openai_api_key_parameter: str = ""
    bfl_api_key_parameter: str = ""
    # Where the providers live; the local stack points these at its emulators.
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    openai_base_url: str = "https://api.openai.com"
    bfl_base_url: str = "https://api.bfl.ai"
    # Provider model ids that differ from the catalogue's, once a preview id graduates (JSON in
    # PROVIDER_MODEL_OVERRIDES), e.g. {"google/gemini-3-pro-image": "gemini-3-pro-image"}.
    provider_model_overrides: dict[str, str] = {}
    # Providers served by the local stack's emulators (comma-separated: google,openai,bfl).
    emulated_providers: str = ""
    # Provider calls: retries on 429/5xx/timeouts, and the time one image may take in all.
    provider_max_retries: int = 3
    provider_budget_seconds: float = 240.0
    bfl_poll_interval_seconds: float = 1.0

    # Absolute base for links handed out; empty means "the host the request came to".
    public_base_url: str = ""
    sync_wait_seconds: float = 25.0
    # Must match the queue's redrive maxReceiveCount: the last delivery fails the job and refunds.
    generation_max_receive_count: int = 5
    export_max_receive_count: int = 3

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """Each setting from the variable of the same name, in any case (ITEMS_TABLE: items_table)."""
        variables = {name.lower(): value for name, value in environ.items()}
        return cls.model_validate({name: variables[name] for name in cls.model_fields if name in variables})

    @field_validator("provider_model_overrides", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        """A variable holds the overrides as a JSON object."""
        return json.loads(value) if isinstance(value, str) else value

    def provider_configured(self, provider: str) -> bool:
        """A key (or the parameter holding one) is set for this provider, emulated or real."""
        key, parameter = PROVIDER_KEY_SETTINGS[provider]
        return bool(getattr(self, key) or getattr(self, parameter))

    def provider_emulated(self, provider: str) -> bool:
        return provider in {name.strip() for name in self.emulated_providers.split(",")}

    @property
    def effective_default_model(self) -> str:
        """The configured default; else Gemini when a real Gemini key is set, else the offline model."""
        if self.default_model:
            return self.default_model
        real_gemini = self.provider_configured("google") and not self.provider_emulated("google")
        return CLOUD_DEFAULT_MODEL if real_gemini else LOCAL_MODEL


@cache
def get_settings() -> Settings:
    return Settings.from_environment(os.environ)
