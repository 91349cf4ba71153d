"""Colours and scene features for the procedural model, chosen from the prompt's words."""

from __future__ import annotations

import colorsys
import random
import re
from dataclasses import dataclass, replace
from typing import Any

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Palette:
    """Scene colours, far to near, plus which optional features the prompt asked for."""

    sky_top: RGB
    sky_horizon: RGB
    sun: RGB
    land: tuple[RGB, RGB, RGB]
    accent: RGB
    night: bool = False
    water: bool = False
    city: bool = False
    trees: bool = False
    snow: bool = False


def _hex(value: str) -> RGB:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _theme(sky_top: str, sky_horizon: str, sun: str, land: tuple[str, str, str], accent: str) -> Palette:
    return Palette(
        sky_top=_hex(sky_top),
        sky_horizon=_hex(sky_horizon),
        sun=_hex(sun),
        land=(_hex(land[0]), _hex(land[1]), _hex(land[2])),
        accent=_hex(accent),
    )


_THEMES: dict[str, Palette] = {
    "sunset": _theme("#3b1d5e", "#ff9a4d", "#ffe08a", ("#8a3f6b", "#5a2650", "#2e1434"), "#ff5e3a"),
    "dawn": _theme("#5d7fc7", "#ffc7a8", "#fff4d6", ("#9a8fb5", "#6b6a92", "#3f4468"), "#ff9fb2"),
    "ocean": _theme("#0d4f8b", "#8fd3f4", "#fffbe6", ("#5b8fa8", "#2f6f8f", "#1b4b66"), "#23c6d9"),
    "forest": _theme("#4f86b8", "#cfe8d8", "#fff6cc", ("#5f8f6a", "#2f6b3f", "#173d22"), "#9bd15c"),
    "night": _theme("#050a1f", "#1d2f5e", "#f2f0e6", ("#1f2a4a", "#141c36", "#0a0f1f"), "#7da2ff"),
    "neon": _theme("#12002e", "#5a0a6e", "#ff4fd8", ("#2a0f4f", "#1a0838", "#0c0420"), "#00f0ff"),
    "desert": _theme("#4f9bd9", "#f7dca8", "#fff3c4", ("#d9a46a", "#c07a42", "#8c4f26"), "#e8553a"),
    "snow": _theme("#7fa7d6", "#eef4fb", "#ffffff", ("#c9d6e8", "#9fb3cf", "#6f86a8"), "#4a7bd0"),
    "autumn": _theme("#6d8fc0", "#f6d6a0", "#ffe9b0", ("#c0703a", "#9c3f22", "#5e2414"), "#e8a317"),
    "fire": _theme("#1a0500", "#d6451b", "#ffd04d", ("#5a1a0a", "#330c05", "#140402"), "#ff7b00"),
    "spring": _theme("#8ec5ff", "#fde7f0", "#fffbe0", ("#a6d98f", "#6cb86a", "#3d8a4a"), "#ff8fc7"),
    "storm": _theme("#2b3138", "#8a949e", "#d8dde2", ("#5d666f", "#3f474f", "#22282e"), "#c9d36b"),
}

# word -> (theme, features it implies)
_KEYWORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sunset": ("sunset", ()),
    "dusk": ("sunset", ()),
    "golden": ("sunset", ()),
    "warm": ("sunset", ()),
    "sunrise": ("dawn", ()),
    "dawn": ("dawn", ()),
    "morning": ("dawn", ()),
    "ocean": ("ocean", ("water",)),
    "sea": ("ocean", ("water",)),
    "beach": ("ocean", ("water",)),
    "lake": ("ocean", ("water",)),
    "river": ("ocean", ("water",)),
    "water": ("ocean", ("water",)),
    "island": ("ocean", ("water",)),
    "forest": ("forest", ("trees",)),
    "woods": ("forest", ("trees",)),
    "jungle": ("forest", ("trees",)),
    "tree": ("forest", ("trees",)),
    "trees": ("forest", ("trees",)),
    "green": ("forest", ()),
    "night": ("night", ("night",)),
    "moon": ("night", ("night",)),
    "midnight": ("night", ("night",)),
    "stars": ("night", ("night",)),
    "starry": ("night", ("night",)),
    "galaxy": ("night", ("night",)),
    "space": ("night", ("night",)),
    "dark": ("night", ("night",)),
    "neon": ("neon", ("night", "city")),
    "cyberpunk": ("neon", ("night", "city")),
    "synthwave": ("neon", ("night",)),
    "city": ("night", ("city",)),
    "skyline": ("night", ("city",)),
    "desert": ("desert", ()),
    "sand": ("desert", ()),
    "dunes": ("desert", ()),
    "canyon": ("desert", ()),
    "snow": ("snow", ("snow",)),
    "winter": ("snow", ("snow",)),
    "ice": ("snow", ("snow",)),
    "arctic": ("snow", ("snow",)),
    "mountain": ("snow", ("snow",)),
    "mountains": ("snow", ("snow",)),
    "autumn": ("autumn", ("trees",)),
    "fall": ("autumn", ("trees",)),
    "fire": ("fire", ()),
    "lava": ("fire", ()),
    "volcano": ("fire", ()),
    "dragon": ("fire", ()),
    "spring": ("spring", ("trees",)),
    "flower": ("spring", ()),
    "flowers": ("spring", ()),
    "garden": ("spring", ("trees",)),
    "meadow": ("spring", ()),
    "storm": ("storm", ()),
    "rain": ("storm", ()),
    "fog": ("storm", ()),
    "cloudy": ("storm", ()),
}
_WORD = re.compile(r"[a-z]+")


def palette_for(prompt: str, rng: random.Random) -> Palette:
    """The first keyword's theme (or a hue from the RNG), features from all keywords, jittered per seed."""
    theme: Palette | None = None
    features: set[str] = set()
    for word in _WORD.findall(prompt.lower()):
        match = _KEYWORDS.get(word)
        if match is None:
            continue
        name, implied = match
        theme = theme or _THEMES[name]
        features.update(implied)
    base = theme or _hue_palette(rng.random())
    flags: dict[str, Any] = dict.fromkeys(features, True)  # Palette's boolean fields, by name
    return _jitter(replace(base, **flags), rng)


def _hue_palette(hue: float) -> Palette:
    """A harmonious daylight palette around ``hue`` for prompts without a known keyword."""

    def hsv(h: float, s: float, v: float) -> RGB:
        r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
        return round(r * 255), round(g * 255), round(b * 255)

    return Palette(
        sky_top=hsv(hue, 0.55, 0.55),
        sky_horizon=hsv(hue + 0.08, 0.25, 0.97),
        sun=hsv(hue + 0.12, 0.2, 1.0),
        land=(hsv(hue + 0.45, 0.3, 0.7), hsv(hue + 0.5, 0.45, 0.5), hsv(hue + 0.55, 0.55, 0.3)),
        accent=hsv(hue + 0.33, 0.8, 0.95),
    )


def _jitter(palette: Palette, rng: random.Random, amount: int = 14) -> Palette:
    """Nudge every colour a little so seeds differ in colour as well as in layout."""

    def nudge(colour: RGB) -> RGB:
        r, g, b = (min(255, max(0, channel + rng.randint(-amount, amount))) for channel in colour)
        return r, g, b

    return replace(
        palette,
        sky_top=nudge(palette.sky_top),
        sky_horizon=nudge(palette.sky_horizon),
        sun=nudge(palette.sun),
        land=(nudge(palette.land[0]), nudge(palette.land[1]), nudge(palette.land[2])),
        accent=nudge(palette.accent),
    )
