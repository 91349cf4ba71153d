"""Domain errors. Each maps to one HTTP status and error code in galleria.api.errors."""

from __future__ import annotations

from typing import Any


class GalleriaError(Exception):
    """Base class: a message for humans, a stable snake_case code, and extra fields."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidRequest(GalleriaError):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message, **extra)
        if code:
            self.code = code


class InvalidImage(InvalidRequest):
    """User-supplied bytes that are not an acceptable image (format, size, pixels, corrupt)."""

    code = "invalid_image"


class Unauthorized(GalleriaError):
    status = 401
    code = "unauthorized"


class InsufficientCredits(GalleriaError):
    status = 402
    code = "insufficient_credits"

    def __init__(self, required: int, balance: int) -> None:
        super().__init__(
            f"Insufficient credits: this request needs {required}, the balance is {balance}",
            required=required,
            balance=balance,
        )


class NotFound(GalleriaError):
    status = 404
    code = "not_found"


class GenerationFailed(GalleriaError):
    status = 502
    code = "generation_failed"


class ModelUnavailable(GalleriaError):
    status = 503
    code = "model_unavailable"
