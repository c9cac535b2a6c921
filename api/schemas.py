"""Request schemas: strict types, bounded lengths, unknown fields rejected."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

MetricValue = Annotated[StrictInt, Field(ge=0, le=10**12)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
PlatformName = Literal["reddit", "instagram", "tiktok", "youtube", "x"]
RoleName = Literal["ADMIN", "CLIENT", "ANALYST", "AFFILIATE"]
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ClientIn(Strict):
    name: Name


class UserIn(Strict):
    role: RoleName
    name: Name
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    client_id: Id | None = None


class UserPatch(Strict):
    is_active: StrictBool


class PlatformPatch(Strict):
    is_active: StrictBool


class CampaignIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=False)
    name: Name
    client_id: Id
    platforms: Annotated[list[PlatformName], Field(min_length=1, max_length=5)]
    start_date: date | None = None
    end_date: date | None = None


class MetricsIn(Strict):
    claimed_views: MetricValue
    claimed_clicks: MetricValue
    claimed_conversions: MetricValue
    evidence: Annotated[str, Field(max_length=2048)] | None = None


class SubmissionIn(MetricsIn):
    campaign_id: Id
    platform: PlatformName
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    title: Annotated[str, Field(max_length=500)] | None = None
