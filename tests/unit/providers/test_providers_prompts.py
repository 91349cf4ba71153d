"""Style presets become prompt modifiers; a source image's type is known even when not recorded."""

from __future__ import annotations

import pytest
from provider_fakes import PNG, SOURCE_JPEG

from galleria.catalog import STYLE_PRESETS
from galleria.providers.base import ProviderRequest
from galleria.providers.prompts import STYLE_MODIFIERS, source_mime_type, styled_prompt


def test_every_preset_in_the_catalogue_has_a_modifier() -> None:
    assert set(STYLE_MODIFIERS) == set(STYLE_PRESETS)
    assert all(STYLE_MODIFIERS[preset] for preset in STYLE_PRESETS if preset != "none")


def test_no_style_leaves_the_prompt_as_written() -> None:
    assert styled_prompt("A lighthouse at dusk", "none") == "A lighthouse at dusk"


@pytest.mark.parametrize(
    ("preset", "words"),
    [
        ("photographic", "realistic lighting"),
        ("digital-art", "vibrant colours"),
        ("comic-book", "bold ink lines"),
        ("fantasy-art", "ethereal"),
        ("analog-film", "film grain"),
        ("neon-punk", "neon colours"),
        ("isometric", "isometric perspective"),
        ("low-poly", "low-poly 3D"),
        ("origami", "paper-folding"),
        ("line-art", "minimal shading"),
        ("cinematic", "dramatic lighting and composition"),
        ("3d-model", "3D render"),
    ],
)
def test_a_style_follows_the_users_prompt_with_its_description(preset: str, words: str) -> None:
    styled = styled_prompt("A lighthouse at dusk", preset)

    assert styled.startswith("A lighthouse at dusk\n\nStyle: ")
    assert words in styled


def test_an_unknown_preset_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown style preset 'vaporwave'"):
        styled_prompt("A lighthouse", "vaporwave")


@pytest.mark.parametrize(
    ("data", "recorded", "mime"),
    [
        (SOURCE_JPEG, None, "image/jpeg"),
        (PNG, None, "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", None, "image/webp"),
        (PNG, "image/webp", "image/webp"),
        (b"unrecognised", None, "image/png"),
    ],
)
def test_the_source_type_is_the_recorded_one_or_read_from_the_bytes(
    data: bytes, recorded: str | None, mime: str
) -> None:
    request = ProviderRequest("p", "1:1", "none", None, source_image=data, source_mime_type=recorded)

    assert source_mime_type(request) == mime
