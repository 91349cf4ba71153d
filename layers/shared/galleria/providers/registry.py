"""Which provider serves which model, and with which endpoint and key.

Provider modules (and httpx) are imported here, lazily: only the generation worker gets this far.
"""

from __future__ import annotations

from collections.abc import Callable

from galleria.catalog import ModelInfo, find_model
from galleria.config import PROVIDER_KEY_SETTINGS, Settings, get_settings
from galleria.errors import InvalidRequest, ModelUnavailable
from galleria.providers.base import ImageProvider, ProviderEndpoint

# How long a key read from SSM Parameter Store is reused before it is read again (rotation).
KEY_CACHE_SECONDS = 300


def provider_for(model_id: str) -> ImageProvider:
    model = find_model(model_id)
    if model is None:
        raise InvalidRequest(f"Unknown model '{model_id}'", code="invalid_model")
    if model.provider == "local":
        from galleria.providers.local_procedural import LocalProceduralProvider

        return LocalProceduralProvider()
    settings = get_settings()
    if not model.available(settings):
        raise ModelUnavailable(f"Model {model.id} has no provider key configured in this deployment")
    endpoint = provider_endpoint(model.provider, settings)
    api_model = settings.provider_model_overrides.get(model.id, model.api_model)
    return _client_class(model)(api_model, endpoint)


def provider_endpoint(provider: str, settings: Settings) -> ProviderEndpoint:
    label = f"{provider}-emulator" if settings.provider_emulated(provider) else provider
    base_url = {
        "google": settings.gemini_base_url,
        "openai": settings.openai_base_url,
        "bfl": settings.bfl_base_url,
    }[provider]
    return ProviderEndpoint(base_url=base_url.rstrip("/"), api_key=_api_key(provider, settings), label=label)


def _api_key(provider: str, settings: Settings) -> str:
    key_setting, parameter_setting = PROVIDER_KEY_SETTINGS[provider]
    key: str = getattr(settings, key_setting)
    if key:
        return key
    from aws_lambda_powertools.utilities.parameters import get_parameter

    return str(get_parameter(getattr(settings, parameter_setting), decrypt=True, max_age=KEY_CACHE_SECONDS))


def _client_class(model: ModelInfo) -> Callable[[str, ProviderEndpoint], ImageProvider]:
    if model.provider == "google":
        from galleria.providers.gemini import GeminiProvider

        return GeminiProvider
    if model.provider == "openai":
        from galleria.providers.openai_responses import OpenAIResponsesProvider

        return OpenAIResponsesProvider
    from galleria.providers.bfl import BflProvider

    return BflProvider
