"""galleria-openapi — the API's OpenAPI document, generated from every API function's routes and
pydantic models (Powertools' OpenAPI support) and merged into one.

    galleria-openapi            write layers/shared/galleria/api/openapi.json (the served copy)
    galleria-openapi --check    exit 1 when the committed copy differs from the code (drift)

Each API function has its own resolver; their documents share component names (the same models),
so merging is a union of paths and schemas.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "layers" / "shared" / "galleria" / "api" / "openapi.json"
# Every API function's directory and handler module (template.yaml's CodeUri and Handler).
API_FUNCTIONS = {
    "generate": "generate",
    "gallery": "gallery",
    "collections": "gallery_collections",
    "bulk": "bulk",
    "shares": "share_links",
    "public": "public",
}
TITLE = "Galleria"
VERSION = "1.0.0"
DESCRIPTION = (
    "Generate images over several providers and keep every result in a team's gallery. "
    "Every /api/v1 route takes `Authorization: Bearer <api key>` except GET /api/v1/models and "
    "GET /api/v1/public/gallery; /media, /public and /share pages need no key. Errors are "
    '`{"error", "code", ...}`.'
)


def build_document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    merged: dict[str, Any] = {}
    for directory, module_name in API_FUNCTIONS.items():
        sys.path.insert(0, str(ROOT / "functions" / directory))
        app = importlib.import_module(module_name).app
        document = json.loads(
            app.get_openapi_json_schema(
                title=TITLE,
                version=VERSION,
                description=DESCRIPTION,
                security_schemes={
                    "apiKey": HTTPBearer(description="A team API key (galleria-admin issue-key)")
                },
                security=[{"apiKey": []}],
            )
        )
        if not merged:
            merged = document
            continue
        for path, operations in document.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        schemas = merged.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(document.get("components", {}).get("schemas", {}))
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"]["schemas"].items()))
    return merged


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="galleria-openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run galleria-openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
