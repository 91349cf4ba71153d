"""Domain errors. Each maps to one HTTP status and error code in galleria.api.errors."""

from __future__ import annotations

from typing import Any


class GalleriaError(Exception):
    """Base class: a message for humans, a stable snake_case code, and extra fields."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        """``code`` overrides the class's code for a more precise one (e.g. ``too_many_ids``)."""
        super().__init__(message)
        self.message = message
        self.extra = extra
        if code:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Extra HTTP headers of the answer (e.g. Retry-After)."""
        return {}


class InvalidRequest(GalleriaError):
    status = 400
    code = "invalid_request"


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


class PlanUpgradeRequired(GalleriaError):
    """The team's plan does not include this (e.g. private items on the free plan)."""

    status = 402
    code = "plan_upgrade_required"


class Forbidden(GalleriaError):
    """403: the caller may see the thing but not do this with it (e.g. download from a view-only
    share link). Never used for another team's data, which is 404."""

    status = 403
    code = "forbidden"


class NotFound(GalleriaError):
    status = 404
    code = "not_found"


class Conflict(GalleriaError):
    status = 409
    code = "conflict"


class Gone(GalleriaError):
    status = 410
    code = "gone"


class IdempotencyKeyReused(GalleriaError):
    """The Idempotency-Key was used before with a different request body."""

    status = 422
    code = "idempotency_key_reused"


class StorageQuotaExceeded(GalleriaError):
    status = 413
    code = "storage_quota_exceeded"

    def __init__(self, used: int, limit: int) -> None:
        super().__init__(
            "Storage quota exceeded: the gallery holds more than the plan allows; "
            "empty the trash or delete images to make room",
            used=used,
            limit=limit,
        )


class PayloadTooLarge(GalleriaError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(GalleriaError):
    """415: a body the route cannot read (it takes JSON)."""

    status = 415
    code = "unsupported_media_type"


class RateLimited(GalleriaError):
    """429; ``retry_after`` (seconds) becomes the Retry-After header, not a body field."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ContentPolicyBlocked(GalleriaError):
    """The provider's safety system refused the request or its output; credits were refunded."""

    status = 400
    code = "content_policy"


class GenerationFailed(GalleriaError):
    status = 502
    code = "generation_failed"


class ModelUnavailable(GalleriaError):
    status = 503
    code = "model_unavailable"


class ServiceUnavailable(GalleriaError):
    """A dependency (S3, DynamoDB) failed after retries; nothing was changed, try again."""

    status = 503
    code = "service_unavailable"
