"""The offline model ``local/procedural``: deterministic pictures from (prompt, seed)."""

from __future__ import annotations

import uuid

from galleria.imaging import procedural
from galleria.imaging.decode import open_image
from galleria.providers.base import ProviderImage, ProviderRequest

MODEL_VERSION = "procedural-1"  # catalog api_model of local/procedural


class LocalProceduralProvider:
    def generate(self, request: ProviderRequest) -> ProviderImage:
        if request.seed is None:
            raise ValueError("local/procedural needs a seed: the worker always supplies one")
        width, height = procedural.ASPECT_RATIO_SIZES[request.aspect_ratio]
        source = open_image(request.source_image) if request.source_image else None
        data = procedural.render(
            request.prompt,
            seed=request.seed,
            width=width,
            height=height,
            style=request.style_preset,
            source=source,
        )
        return ProviderImage(
            data=data,
            mime_type="image/png",
            provider="local",
            model_version=MODEL_VERSION,
            seed_used=request.seed,
            provider_request_id=f"local-{uuid.uuid4()}",
            reproducible=True,
        )
