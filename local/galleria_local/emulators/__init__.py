"""Loopback emulators of the Gemini, OpenAI Responses and BFL Kontext HTTP APIs, drawing procedural
images, with fault injection and a request log for tests (see server.py for the control endpoints)."""

from galleria_local.emulators.bfl import BflEmulator
from galleria_local.emulators.gemini import GeminiEmulator
from galleria_local.emulators.openai import OpenAIEmulator
from galleria_local.emulators.server import FAULT_KINDS, ProviderEmulator
from galleria_local.emulators.suite import (
    BASE_URL_VARIABLES,
    EMULATED_PROVIDERS_VARIABLE,
    KEY_VARIABLES,
    PROVIDERS,
    EmulatorSuite,
    catalog_models,
    providers_without_keys,
)

__all__ = [
    "BASE_URL_VARIABLES",
    "EMULATED_PROVIDERS_VARIABLE",
    "FAULT_KINDS",
    "KEY_VARIABLES",
    "PROVIDERS",
    "BflEmulator",
    "EmulatorSuite",
    "GeminiEmulator",
    "OpenAIEmulator",
    "ProviderEmulator",
    "catalog_models",
    "providers_without_keys",
]
