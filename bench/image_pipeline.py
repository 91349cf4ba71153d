"""Image pipeline: Galleria's per-image work next to pyvips making the same outputs, and the floor.

Per image the service decodes the original for its WebP thumbnails (the generation worker and the
upload ingest both call ``make_thumbnails`` with sizes 512 and 256; the worker reads the header
with ``image_info`` first, the ingest also decodes the upload once to validate it, not counted
here) and decodes it again whenever it is downloaded as PNG
(``GET /api/v1/gallery/{id}/download?format=png`` calls ``convert_image(data, "png")``).

- Galleria: those functions, as the service calls them.
- pyvips: the same outputs. ``thumbnail_buffer`` to 512 (never upscaled, EXIF-rotated) and
  ``thumbnail_image`` of that to 256, ``webpsave_buffer`` at the service's quality and effort
  (libwebp's method); a full decode, ``autorot`` and ``pngsave_buffer`` with the service's PNG row
  filter (Up) and zlib level.
- floor: the least such a pipeline does, one full decode and one encode (the 512 WebP), in plain
  Pillow calls.

The fixtures are made here, deterministically: photo-like pictures (gradients, soft and sharp
shapes, fractal detail, grain), a 1024x1024 PNG and a 2048x2048 JPEG at quality 90. After one
untimed round, each round times every step of every contender once, in an order that rotates each
round. Times are the median (and best) over the rounds, in ms per image; a ratio is the median of
the ratios within each round. Quality: the PSNR of each decoded thumbnail against a reference
downscale (Lanczos from the full-resolution decode, no draft or reduce() shortcut), and whether
each PNG holds exactly the original's pixels.

    .venv/bin/python -m bench.image_pipeline [--runs 31]

pyvips comes from requirements/bench.txt (``make bench-images`` installs it); ``--without-pyvips``
runs the Galleria side and the floor only, for the smoke test.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat, features

from bench.machine import machine

Outputs = dict[str, bytes]
Step = Callable[[bytes], Outputs]

GALLERIA = "Galleria"
PYVIPS = "pyvips"
FLOOR = "floor"
THUMBNAILS = "thumbnails 512 + 256 WebP"
DOWNLOAD = "PNG download"
DECODE_AND_ENCODE = "decode + 512 WebP"
PNG_OUTPUT = "download PNG"


@dataclass(frozen=True)
class Fixture:
    name: str
    data: bytes


@dataclass
class FixtureResult:
    fixture: Fixture
    # contender -> step -> seconds, one entry per round
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    # contender -> output name -> bytes (from the last round)
    outputs: dict[str, Outputs] = field(default_factory=dict)

    def totals(self, contender: str) -> list[float]:
        """Seconds per round for all of the contender's steps."""
        return [sum(round_) for round_ in zip(*self.seconds[contender].values(), strict=True)]

    def ratio(self, numerator: str, denominator: str) -> float:
        pairs = zip(self.totals(numerator), self.totals(denominator), strict=True)
        return statistics.median(a / b for a, b in pairs)

    def step_ratio(self, step: str) -> float:
        pairs = zip(self.seconds[GALLERIA][step], self.seconds[PYVIPS][step], strict=True)
        return statistics.median(a / b for a, b in pairs)


# --- fixtures --------------------------------------------------------------------------------


def photo_like(side: int, seed: int) -> Image.Image:
    """A square RGB picture with what makes photos costly to encode: smooth gradients, soft and
    sharp edges, fine detail and grain. The same for the same arguments."""
    rng = random.Random(seed)
    size = (side, side)
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BICUBIC)
    glow = Image.radial_gradient("L").resize(size, Image.Resampling.BICUBIC)
    picture = Image.merge("RGB", (ramp, glow, ramp.transpose(Image.Transpose.ROTATE_90)))
    soft = Image.new("RGB", size)
    _draw_discs(soft, rng, count=60)
    picture = Image.blend(picture, soft.filter(ImageFilter.GaussianBlur(side / 150)), 0.5)
    _draw_discs(picture, rng, count=12)
    detail = Image.effect_mandelbrot(size, (-0.7463, 0.1102, -0.7413, 0.1152), 200).convert("RGB")
    picture = Image.blend(picture, detail, 0.2)
    grain = Image.frombytes("RGB", size, rng.randbytes(side * side * 3))
    return Image.blend(picture, grain, 0.06)


def _draw_discs(image: Image.Image, rng: random.Random, count: int) -> None:
    draw = ImageDraw.Draw(image)
    side = image.width
    for _ in range(count):
        x, y, r = rng.randrange(side), rng.randrange(side), rng.randrange(side // 40 + 1, side // 6 + 2)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )


def make_fixtures(png_side: int = 1024, jpeg_side: int = 2048) -> list[Fixture]:
    return [
        Fixture(f"{png_side}² PNG", _encode(photo_like(png_side, seed=1), "PNG")),
        Fixture(f"{jpeg_side}² JPEG", _encode(photo_like(jpeg_side, seed=2), "JPEG", quality=90)),
    ]


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# --- the contenders --------------------------------------------------------------------------


def thumbnail_sizes() -> tuple[int, ...]:
    """The sizes the generation worker makes (the upload ingest makes the same), largest first."""
    from galleria.generation.worker import THUMBNAIL_SIZES

    return tuple(sorted(THUMBNAIL_SIZES, reverse=True))


def galleria_steps() -> dict[str, Step]:
    from galleria.imaging.convert import convert_image, image_info
    from galleria.imaging.thumbnails import make_thumbnails

    sizes = thumbnail_sizes()

    def thumbnails(data: bytes) -> Outputs:
        image_info(data)
        return {f"thumb-{size}": webp for size, webp in make_thumbnails(data, sizes=sizes).items()}

    def download(data: bytes) -> Outputs:
        return {PNG_OUTPUT: convert_image(data, "png")[0]}

    return {THUMBNAILS: thumbnails, DOWNLOAD: download}


def pyvips_steps() -> dict[str, Step]:
    import pyvips

    from galleria.imaging.png import ZLIB_LEVEL
    from galleria.imaging.thumbnails import WEBP_METHOD, WEBP_QUALITY

    pyvips.cache_set_max(0)  # every call does its work, as every Galleria call does
    # One thread, as Pillow works: a 512 MB Lambda has a third of a vCPU, so threads buy it nothing
    # there, and here they would spend the other CPU (its time is not in a wall-clock ratio).
    pyvips.concurrency_set(1)
    sizes = thumbnail_sizes()

    def thumbnails(data: bytes) -> Outputs:
        outputs = {}
        image = pyvips.Image.thumbnail_buffer(data, sizes[0], size="down")
        for size in sizes:
            if size != sizes[0]:
                image = image.thumbnail_image(size, size="down")
            image = image.copy_memory()  # the next size starts from these pixels, not a new decode
            outputs[f"thumb-{size}"] = image.webpsave_buffer(Q=WEBP_QUALITY, effort=WEBP_METHOD)
        return outputs

    def download(data: bytes) -> Outputs:
        image = pyvips.Image.new_from_buffer(data, "", access="sequential").autorot()
        return {PNG_OUTPUT: image.pngsave_buffer(compression=ZLIB_LEVEL, filter="up")}

    return {THUMBNAILS: thumbnails, DOWNLOAD: download}


def floor_steps() -> dict[str, Step]:
    from galleria.imaging.thumbnails import WEBP_METHOD, WEBP_QUALITY

    largest = thumbnail_sizes()[0]

    def decode_and_encode(data: bytes) -> Outputs:
        image = Image.open(io.BytesIO(data))
        image.load()
        scale = min(1.0, largest / max(image.size))
        target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        thumbnail = image.resize(target, Image.Resampling.BOX, reducing_gap=1.0)
        return {f"thumb-{largest}": _encode(thumbnail, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)}

    return {DECODE_AND_ENCODE: decode_and_encode}


def contenders(with_pyvips: bool) -> dict[str, dict[str, Step]]:
    found = {GALLERIA: galleria_steps(), FLOOR: floor_steps()}
    if with_pyvips:
        found[PYVIPS] = pyvips_steps()
    return found


# --- measuring -------------------------------------------------------------------------------


def measure(fixture: Fixture, steps: dict[str, dict[str, Step]], runs: int) -> FixtureResult:
    """Time every step of every contender once per round, the order rotating each round, after
    one untimed round (lazy imports, first calls, allocator warm-up)."""
    schedule = [(contender, step) for contender, named in steps.items() for step in named]
    result = FixtureResult(fixture)
    for contender, named in steps.items():
        result.seconds[contender] = {step: [] for step in named}
        result.outputs[contender] = {}
    for round_ in range(runs + 1):
        shift = round_ % len(schedule)
        for contender, step in schedule[shift:] + schedule[:shift]:
            began = time.perf_counter()
            outputs = steps[contender][step](fixture.data)
            elapsed = time.perf_counter() - began
            if round_:
                result.seconds[contender][step].append(elapsed)
            result.outputs[contender].update(outputs)
    return result


def psnr(image: Image.Image, reference: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB over the RGB channels (inf when identical)."""
    difference = ImageChops.difference(image.convert("RGB"), reference.convert("RGB"))
    squared = sum(ImageStat.Stat(difference).sum2)
    if squared == 0:
        return math.inf
    return 10 * math.log10(255**2 * image.width * image.height * 3 / squared)


def quality(fixture: Fixture, name: str, output: bytes) -> str:
    """PSNR of a thumbnail against a Lanczos downscale of the full decode; 'exact' or 'differs' for
    a PNG, which must hold the original's pixels."""
    original = _decode(fixture.data).convert("RGB")
    decoded = _decode(output).convert("RGB")
    if name == PNG_OUTPUT:
        return "exact" if decoded.tobytes() == original.tobytes() else "differs"
    reference = original.resize(decoded.size, Image.Resampling.LANCZOS)
    return f"{psnr(decoded, reference):.2f}"


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- reporting -------------------------------------------------------------------------------


def machine_and_libraries() -> str:
    return (
        f"{machine()}; Pillow {features.version('pil')} (libwebp {features.version('webp')}, "
        f"libjpeg-turbo {features.version('libjpeg_turbo')})"
    )


def libvips_version() -> str:
    import pyvips

    version = ".".join(str(pyvips.version(part)) for part in range(3))
    return f"libvips {version} (pyvips {pyvips.__version__}, {pyvips.concurrency_get()} threads)"


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f} ({min(seconds) * 1000:.1f})"


def time_table(results: list[FixtureResult]) -> list[str]:
    with_pyvips = PYVIPS in results[0].seconds
    lines = [
        "| fixture | step | Galleria ms | pyvips ms | Galleria / pyvips |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        name = result.fixture.name
        for step in result.seconds[GALLERIA]:
            vips = _ms(result.seconds[PYVIPS][step]) if with_pyvips else "n/a"
            ratio = f"{result.step_ratio(step):.2f}" if with_pyvips else "n/a"
            lines.append(f"| {name} | {step} | {_ms(result.seconds[GALLERIA][step])} | {vips} | {ratio} |")
        vips = _ms(result.totals(PYVIPS)) if with_pyvips else "n/a"
        ratio = f"**{result.ratio(GALLERIA, PYVIPS):.2f}**" if with_pyvips else "n/a"
        lines.append(f"| {name} | **per image** | {_ms(result.totals(GALLERIA))} | {vips} | {ratio} |")
    return lines


def floor_table(results: list[FixtureResult]) -> list[str]:
    lines = [f"| fixture | floor ms ({DECODE_AND_ENCODE}) | Galleria / floor |", "|---|---|---|"]
    for result in results:
        ratio = result.ratio(GALLERIA, FLOOR)
        lines.append(f"| {result.fixture.name} | {_ms(result.totals(FLOOR))} | {ratio:.2f} |")
    return lines


def output_table(results: list[FixtureResult]) -> list[str]:
    contenders_shown = [c for c in (GALLERIA, PYVIPS) if c in results[0].outputs]
    header = " | ".join(f"{c} KB | {c} PSNR dB" for c in contenders_shown)
    lines = [f"| fixture | output | {header} |", "|---|---|" + "---|---|" * len(contenders_shown)]
    for result in results:
        for name in result.outputs[GALLERIA]:
            cells = []
            for contender in contenders_shown:
                output = result.outputs[contender][name]
                cells.append(f"{len(output) / 1024:.1f} | {quality(result.fixture, name, output)}")
            lines.append(f"| {result.fixture.name} | {name} | {' | '.join(cells)} |")
    return lines


def report(results: list[FixtureResult], runs: int) -> str:
    with_pyvips = PYVIPS in results[0].seconds
    vips = libvips_version() if with_pyvips else "pyvips not run"
    return "\n".join(
        [
            f"Machine: {machine_and_libraries()}; {vips}",
            f"ms per image: median (best) of {runs} interleaved rounds; ratios: median of per-round ratios",
            "",
            *time_table(results),
            "",
            *floor_table(results),
            "",
            "Outputs (PSNR: thumbnails vs a Lanczos downscale of the full decode; PNG: pixels vs original)",
            "",
            *output_table(results),
        ]
    )


def run(*, png_side: int, jpeg_side: int, runs: int, with_pyvips: bool) -> tuple[list[FixtureResult], str]:
    steps = contenders(with_pyvips)
    results = [measure(fixture, steps, runs) for fixture in make_fixtures(png_side, jpeg_side)]
    return results, report(results, runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=31, help="timed rounds (default 31)")
    parser.add_argument("--png-side", type=int, default=1024)
    parser.add_argument("--jpeg-side", type=int, default=2048)
    parser.add_argument("--without-pyvips", action="store_true", help="Galleria and the floor only")
    args = parser.parse_args()
    if not args.without_pyvips:
        try:
            import pyvips  # noqa: F401
        except ImportError:
            sys.exit(
                "pyvips is needed: .venv/bin/pip install -r requirements/bench.txt (or make bench-images)"
            )
    _, text = run(
        png_side=args.png_side, jpeg_side=args.jpeg_side, runs=args.runs, with_pyvips=not args.without_pyvips
    )
    print(text)


if __name__ == "__main__":
    main()
