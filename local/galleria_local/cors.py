"""The HTTP API's CorsConfiguration, applied the way API Gateway applies it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from galleria_local.intrinsics import Resolver
from galleria_local.template import Template


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | bool) -> CorsPolicy:
        if configuration is True:  # SAM: `CorsConfiguration: true` allows every origin
            return cls(allow_origins=("*",))
        if not configuration:
            return cls()
        return cls(
            allow_origins=tuple(configuration.get("AllowOrigins", ())),
            allow_headers=tuple(configuration.get("AllowHeaders", ())),
            allow_methods=tuple(configuration.get("AllowMethods", ())),
            expose_headers=tuple(configuration.get("ExposeHeaders", ())),
            max_age=configuration.get("MaxAge"),
            allow_credentials=bool(configuration.get("AllowCredentials", False)),
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a request from `origin`, or None if not allowed."""
        if origin is None:
            return None
        if "*" in self.allow_origins and not self.allow_credentials:
            return "*"
        return origin if origin in self.allow_origins or "*" in self.allow_origins else None

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        """Headers of API Gateway's automatic answer to a preflight OPTIONS request."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.allow_methods:
            headers["access-control-allow-methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            headers["access-control-allow-headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["access-control-max-age"] = str(self.max_age)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """CORS headers added to an integration's response (API Gateway drops the integration's own)."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.expose_headers:
            headers["access-control-expose-headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers


def http_api_cors(template: Template, resolver: Resolver) -> CorsPolicy | None:
    """The CORS policy of the template's HTTP API (its own CorsConfiguration, else Globals.HttpApi's)."""
    apis = template.resources_of_type("AWS::Serverless::HttpApi")
    if len(apis) > 1:
        raise ValueError(f"The local gateway serves one HTTP API; the template declares {', '.join(apis)}")
    properties: Mapping[str, Any] = next(iter(apis.values()), {}).get("Properties") or {}
    configuration = properties.get(
        "CorsConfiguration", template.globals_for("HttpApi").get("CorsConfiguration")
    )
    if configuration is None:
        return None
    return CorsPolicy.from_configuration(resolver.resolve(configuration, "HttpApi.CorsConfiguration"))
