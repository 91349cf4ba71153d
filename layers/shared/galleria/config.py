"""Configuration as one model, read once from the environment (template.yaml sets it)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_MODEL = "local/procedural"
CLOUD_DEFAULT_MODEL = "google/gemini-2.5-flash-image"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    items_table: str = ""
    jobs_table: str = ""
    accounts_table: str = ""
    media_bucket: str = ""
    generation_queue_url: str = ""

    # The HMAC key for /media links comes from Secrets Manager; MEDIA_SIGNING_KEY overrides it
    # (unit tests, scripts) so nothing else needs to special-case a missing secret.
    media_signing_secret_arn: str = ""
    media_signing_key: str = ""

    default_model: str = ""
    gemini_api_key: str = ""
    openai_api_key: str = ""
    bfl_api_key: str = ""

    # Absolute base for links handed out; empty means "the host the request came to".
    public_base_url: str = ""
    sync_wait_seconds: float = 25.0
    # Must match the queue's redrive maxReceiveCount: the last delivery fails the job and refunds.
    generation_max_receive_count: int = 3

    @property
    def provider_keys_configured(self) -> bool:
        return any((self.gemini_api_key, self.openai_api_key, self.bfl_api_key))

    @property
    def effective_default_model(self) -> str:
        if self.default_model:
            return self.default_model
        return CLOUD_DEFAULT_MODEL if self.provider_keys_configured else LOCAL_MODEL


@cache
def get_settings() -> Settings:
    return Settings()
