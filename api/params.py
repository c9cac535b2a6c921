"""Query-string schemas: lax types (query strings are text), bounds, unknown names rejected."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from werkzeug.routing import BaseConverter, IntegerConverter

from api.schemas import (
    AlertStatus,
    AlertType,
    LevelName,
    PlatformName,
    RequestModel,
    StatusName,
)
from reconcile.errors import ValidationFailed

Q = TypeVar("Q", bound=BaseModel)
QueryId = Annotated[int, Field(ge=1, le=2**62)]


class ListQuery(RequestModel):
    model_config = ConfigDict(extra="forbid")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    cursor: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class SubmissionsQuery(ListQuery):
    campaign_id: QueryId | None = None
    platform: PlatformName | None = None
    status: StatusName | None = None


def _as_utc(value: datetime | None) -> datetime | None:
    # A time without a zone is read as UTC, the zone every stored time is in; any other
    # zone is converted, since the database refuses offsets past +-18:00.
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the time is out of range") from exc


class ResultsQuery(ListQuery):
    status: StatusName | None = None
    discrepancy_level: LevelName | None = None
    affiliate_id: QueryId | None = None
    platform: PlatformName | None = None
    campaign_id: QueryId | None = None
    since: datetime | None = Field(None, description="ISO 8601; filters on submitted_at")
    until: datetime | None = Field(None, description="ISO 8601; filters on submitted_at")

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)


class AlertsQuery(ListQuery):
    status: AlertStatus | None = None
    type: AlertType | None = None
    severity: LevelName | None = None
    affiliate_id: QueryId | None = None
    platform: PlatformName | None = None


class AuditQuery(ListQuery):
    actor: Annotated[str, Field(min_length=1, max_length=32,
                                description="a user id, user:<id>, cli or system")] | None = None
    action: Annotated[str, Field(min_length=1, max_length=64,
                                 description="e.g. user.created, alert.resolved")] | None = None
    since: datetime | None = Field(None, description="ISO 8601; filters on occurred_at")

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)


def parse_query(model: type[Q]) -> Q:
    """Return the query string as `model`; 422 listing every invalid parameter."""
    args = request.args
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise ValidationFailed([{"field": k, "message": "give this parameter once"}
                                for k in repeated])
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed(
            [{"field": ".".join(str(p) for p in e["loc"]) or "query", "message": e["msg"]}
             for e in exc.errors()]
        ) from exc


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` limited to ids the database can hold: a larger number is a 404, not a
    database overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**62)
        super().__init__(map, *args, **kwargs)


class PrintableConverter(BaseConverter):
    """`<name>` path parts without control characters: such a part names nothing (404), and
    never reaches the database (which refuses NUL)."""

    regex = r"[^/\x00-\x1f\x7f-\x9f]+"
