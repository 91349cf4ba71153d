"""Which provider serves which model."""

from __future__ import annotations

from galleria.errors import ModelUnavailable
from galleria.providers.base import ImageProvider


def provider_for(model_id: str) -> ImageProvider:
    if model_id == "local/procedural":
        from galleria.providers.local_procedural import LocalProceduralProvider

        return LocalProceduralProvider()
    raise ModelUnavailable(f"Model {model_id} has no provider configured in this deployment")
