"""API Gateway HTTP API route selection: the most specific route that matches method and path wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from galleria_local.functions import DEFAULT_ROUTE, HttpRoute


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    segments: tuple[str, ...]  # literal text, or a `{name}` variable
    greedy: str | None  # the `{name+}` variable that takes the rest of the path

    @classmethod
    def compile(cls, route: HttpRoute) -> _CompiledRoute:
        segments = route.path.split("/")[1:]
        greedy = None
        if segments and segments[-1].startswith("{") and segments[-1].endswith("+}"):
            greedy = segments.pop()[1:-2]
        return cls(route, tuple(segments), greedy)

    @property
    def specificity(self) -> tuple[bool, tuple[bool, ...], int, bool]:
        """Sort key, highest first: no greedy variable, then literal segments before variables (from the
        left), then longer prefixes, then a named method before ANY."""
        literal = tuple(not _is_variable(segment) for segment in self.segments)
        return (self.greedy is None, literal, len(self.segments), self.route.method != "ANY")

    def match(self, method: str, path_segments: list[str]) -> dict[str, str] | None:
        if self.route.method not in (method, "ANY"):
            return None
        fixed = len(self.segments)
        if len(path_segments) != fixed and (self.greedy is None or len(path_segments) <= fixed):
            return None
        parameters: dict[str, str] = {}
        for pattern, segment in zip(self.segments, path_segments, strict=False):
            if _is_variable(pattern):
                if not segment:
                    return None
                parameters[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        if self.greedy is not None:
            rest = "/".join(path_segments[fixed:])
            if not rest:
                return None
            parameters[self.greedy] = rest
        return parameters


class RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        routes = list(routes)
        self._default = next((route for route in routes if route.path == DEFAULT_ROUTE), None)
        compiled = [_CompiledRoute.compile(route) for route in routes if route.path != DEFAULT_ROUTE]
        self._routes = sorted(compiled, key=lambda candidate: candidate.specificity, reverse=True)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route for a request, with its decoded path parameters; the `$default` route last.
        A path with a trailing slash that no route takes goes to the route without it, as API
        Gateway sends `/app/` to `GET /app` (the function still sees the raw path)."""
        found = self._match(method, raw_path)
        if found is None and len(raw_path) > 1 and raw_path.endswith("/"):
            found = self._match(method, raw_path[:-1])
        if found is not None:
            return found
        return RouteMatch(self._default, {}) if self._default else None

    def _match(self, method: str, raw_path: str) -> RouteMatch | None:
        segments = [unquote(segment) for segment in raw_path.split("/")[1:]]
        for candidate in self._routes:
            parameters = candidate.match(method, segments)
            if parameters is not None:
                return RouteMatch(candidate.route, parameters)
        return None


def _is_variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")
