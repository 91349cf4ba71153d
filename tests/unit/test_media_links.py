"""Permanent media links cannot be forged or repointed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from galleria import media_links
from galleria.config import get_settings
from galleria.domain.items import Rendition


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MEDIA_SIGNING_KEY", "k" * 64)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_signed_link_verifies() -> None:
    path = media_links.media_path("team_a", "gal_1", Rendition.ORIGINAL)
    _, _, team, item, rendition, signature = path.split("/")
    assert (team, item, rendition) == ("team_a", "gal_1", "original")
    assert media_links.verify(team, item, Rendition(rendition), signature)


@pytest.mark.parametrize(
    ("team", "item", "rendition"),
    [
        ("team_b", "gal_1", Rendition.ORIGINAL),
        ("team_a", "gal_2", Rendition.ORIGINAL),
        ("team_a", "gal_1", Rendition.THUMB_256),
    ],
)
def test_a_signature_does_not_carry_over_to_another_team_item_or_rendition(
    team: str, item: str, rendition: Rendition
) -> None:
    signature = media_links.sign("team_a", "gal_1", Rendition.ORIGINAL)
    assert not media_links.verify(team, item, rendition, signature)


def test_another_key_makes_other_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    before = media_links.sign("team_a", "gal_1", Rendition.ORIGINAL)
    monkeypatch.setenv("MEDIA_SIGNING_KEY", "z" * 64)
    get_settings.cache_clear()
    assert media_links.sign("team_a", "gal_1", Rendition.ORIGINAL) != before
