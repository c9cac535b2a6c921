"""Named failures of the use cases; the API maps each to one problem+json code."""

from __future__ import annotations


class ReconcileError(Exception):
    code = "ERROR"
    status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail or self.__class__.__doc__ or ""


class ValidationFailed(ReconcileError):
    """The request is not valid."""

    code, status = "VALIDATION_ERROR", 422

    def __init__(self, errors: list[dict[str, str]], detail: str = "") -> None:
        super().__init__(detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class NotFound(ReconcileError):
    """The resource does not exist or is not yours to see."""

    code, status = "NOT_FOUND", 404


class Forbidden(ReconcileError):
    """Your role may not do this."""

    code, status = "FORBIDDEN", 403


class Unauthenticated(ReconcileError):
    """A valid API key is required."""

    code, status = "AUTHENTICATION_REQUIRED", 401


class Conflict(ReconcileError):
    """The request conflicts with the current state."""

    code, status = "CONFLICT", 409


class LinkInUse(Conflict):
    """The tracked link already belongs to another post."""

    code = "LINK_IN_USE"


class DuplicateSubmission(ReconcileError):
    """You already submitted this post for this campaign and platform."""

    code, status = "DUPLICATE_SUBMISSION", 409

    def __init__(self, detail: str = "", post_id: int | None = None) -> None:
        super().__init__(detail)
        self.post_id = post_id


class CampaignPlatformMismatch(ReconcileError):
    """The campaign does not allow this platform."""

    code, status = "CAMPAIGN_PLATFORM_MISMATCH", 422


class SourceUnavailable(ReconcileError):
    """The source asked for does not exist on every platform of the campaign."""

    code, status = "SOURCE_UNAVAILABLE", 422


class CampaignInactive(ReconcileError):
    """The campaign does not accept submissions."""

    code, status = "CAMPAIGN_INACTIVE", 422


class PlatformDisabled(ReconcileError):
    """The platform is disabled by an operator."""

    code, status = "PLATFORM_DISABLED", 409


class ServiceUnavailable(ReconcileError):
    """A service this request needs is down."""

    code, status = "SERVICE_UNAVAILABLE", 503

    def __init__(self, detail: str = "", retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class IntakePaused(ServiceUnavailable):
    """Submissions are paused by an operator."""

    code = "INTAKE_PAUSED"


class Overloaded(ServiceUnavailable):
    """Too much work is queued; submit again later."""

    code = "OVERLOADED"


class AlertAlreadyResolved(Conflict):
    """The alert is already resolved."""

    code = "ALERT_ALREADY_RESOLVED"


class IdempotencyInProgress(Conflict):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "IN_PROGRESS"

    def __init__(self, detail: str = "", retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimited(ReconcileError):
    """Too many requests for this API key; wait for the window to reset."""

    code, status = "RATE_LIMITED", 429

    def __init__(self, detail: str = "", retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class HandleNotVerified(ReconcileError):
    """The profile's bio does not carry the handle's verification code."""

    code, status = "HANDLE_NOT_VERIFIED", 422
