"""One emulator per provider whose key the local stack was not given, and the variables that
point the functions' provider clients at them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from galleria_local.emulators.bfl import BflEmulator
from galleria_local.emulators.gemini import GeminiEmulator
from galleria_local.emulators.openai import OpenAIEmulator
from galleria_local.emulators.server import ProviderEmulator

PROVIDERS = ("google", "openai", "bfl")
KEY_VARIABLES = {"google": "GEMINI_API_KEY", "openai": "OPENAI_API_KEY", "bfl": "BFL_API_KEY"}
BASE_URL_VARIABLES = {"google": "GEMINI_BASE_URL", "openai": "OPENAI_BASE_URL", "bfl": "BFL_BASE_URL"}
EMULATED_PROVIDERS_VARIABLE = "EMULATED_PROVIDERS"
# The emulator answers the second poll, so there is nothing to gain from the real one-second wait.
BFL_POLL_INTERVAL_VARIABLE = "BFL_POLL_INTERVAL_SECONDS"
BFL_POLL_INTERVAL_SECONDS = "0.2"


def providers_without_keys(environment: Mapping[str, str]) -> list[str]:
    """The providers to emulate: those whose key variable is unset or empty."""
    return [provider for provider in PROVIDERS if not environment.get(KEY_VARIABLES[provider])]


def catalog_models(provider: str) -> list[str]:
    """The catalogue's model ids served by `provider` (google/gemini-2.5-flash-image, ...)."""
    from galleria.catalog import MODELS

    return [model.id for model in MODELS if model.provider == provider]


class EmulatorSuite:
    """Start with `start()`, stop with `stop()` (idempotent); `environment()` is for the functions."""

    def __init__(self, providers: Iterable[str]) -> None:
        self.emulators: dict[str, ProviderEmulator] = {provider: _create(provider) for provider in providers}
        self.urls: dict[str, str] = {}  # provider -> base URL, once started (kept after stop, for reports)

    def start(self) -> None:
        try:
            for provider, emulator in self.emulators.items():
                emulator.start()
                self.urls[provider] = emulator.base_url
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for emulator in self.emulators.values():
            emulator.stop()

    def environment(self) -> dict[str, str]:
        if not self.emulators:
            return {}
        variables = {EMULATED_PROVIDERS_VARIABLE: ",".join(self.emulators)}
        for provider, emulator in self.emulators.items():
            variables[BASE_URL_VARIABLES[provider]] = emulator.base_url
            variables[KEY_VARIABLES[provider]] = emulator.api_key
        if "bfl" in self.emulators:
            variables[BFL_POLL_INTERVAL_VARIABLE] = BFL_POLL_INTERVAL_SECONDS
        return variables


def _create(provider: str) -> ProviderEmulator:
    if provider == "google":
        # The catalogue may name a Gemini model the emulator's own list does not know yet.
        from galleria.catalog import MODELS

        return GeminiEmulator(models=[model.api_model for model in MODELS if model.provider == "google"])
    if provider == "openai":
        return OpenAIEmulator()
    if provider == "bfl":
        return BflEmulator()
    raise ValueError(f"no emulator for provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
