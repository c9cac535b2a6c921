"""Request and response schemas of tracked links and conversion postbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictInt, field_validator

from api.params import ListQuery, QueryId, _as_utc
from api.responses import Out
from api.schemas import Id, RequestModel, Strict

LinkCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")]
ClickId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")]
EventId = Annotated[str, Field(min_length=1, max_length=200)]
AmountMinor = Annotated[StrictInt, Field(ge=0, le=10**15,
                                         description="integer, in the currency's minor unit")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class LinkIn(Strict):
    campaign_id: Id
    label: Annotated[str, Field(max_length=200)] | None = None


class PostbackIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=False)
    click_id: ClickId
    event_id: EventId
    amount_minor: AmountMinor | None = None
    currency: Currency | None = None
    occurred_at: datetime | None = Field(None, description="ISO 8601; default: now")

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)


class PixelQuery(RequestModel):
    """The pixel's query string; `sig` signs the rest of it, exactly as sent."""

    model_config = ConfigDict(extra="forbid")
    click_id: ClickId
    event_id: EventId
    amount_minor: Annotated[int, Field(ge=0, le=10**15)] | None = None
    currency: Currency | None = None
    occurred_at: datetime | None = None
    sig: Annotated[str, Field(max_length=128, description="hex HMAC-SHA256 of the query "
                                                          "string without sig")] | None = None

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)


class ReverseIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class LinkOut(Out):
    code: str
    url: str
    campaign_id: int
    post_id: int | None


class LinksQuery(ListQuery):
    campaign_id: QueryId | None = None


class LinkItem(LinkOut):
    id: int
    label: str | None
    created_at: str
    clicks: dict[str, int]
    conversions: dict[str, int]


class LinkStatsOut(Out):
    code: str
    post_id: int | None
    clicks: dict[str, Any]
    conversions: dict[str, int]


class ConversionOut(Out):
    conversion_id: int
    status: str


class SecretOut(Out):
    secret: str


