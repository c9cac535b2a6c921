"""Request schemas: strict types, bounded lengths, unknown fields rejected."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from reconcile.text import MESSAGE, control_paths

MetricValue = Annotated[StrictInt, Field(ge=0, le=10**12)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
PlatformName = Literal["reddit", "instagram", "tiktok", "youtube", "x"]
RoleName = Literal["ADMIN", "CLIENT", "ANALYST", "AFFILIATE"]
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]


class RequestModel(BaseModel):
    """Every request body and query string: no text in it may hold a control character.

    The one place the rule of reconcile.text is applied to what the API accepts, so a new
    field or route cannot forget it (PostgreSQL would answer a NUL with an error).
    """

    @model_validator(mode="after")
    def _no_control_characters(self) -> RequestModel:
        bad = [path for name, value in self for path in control_paths(value, (name,))]
        if bad:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("control_character", MESSAGE),
                                 loc=path, input=None)
                for path in bad
            ])
        return self


class Strict(RequestModel):
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


Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Tags = Annotated[list[Tag], Field(max_length=20)]


# Tracked links land here (http(s)); conversions count this long after their click.
LandingUrl = Annotated[str, Field(min_length=1, max_length=2048,
                                  pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+")]
WindowDays = Annotated[StrictInt, Field(ge=1, le=365)]


class SourcesIn(Strict):
    """Where verified clicks and conversions come from (truth.md, "Sources")."""

    clicks: Literal["tracked", "platform", "none"] = "tracked"
    conversions: Literal["postback", "none"] = "postback"


class CampaignIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=False)
    name: Name
    client_id: Id
    platforms: Annotated[list[PlatformName], Field(min_length=1, max_length=5)]
    start_date: date | None = None
    end_date: date | None = None
    sources: SourcesIn = SourcesIn()
    required_tags: Tags = []
    require_verified_handle: StrictBool = True
    landing_url: LandingUrl | None = None
    attribution_window_days: WindowDays = 30


class CampaignPatch(Strict):
    """What may change on a running campaign (any subset): how its numbers are verified and
    where its tracked links land."""

    sources: SourcesIn | None = None
    required_tags: Tags | None = None
    require_verified_handle: StrictBool | None = None
    landing_url: LandingUrl | None = None
    attribution_window_days: WindowDays | None = None


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
    link_code: Annotated[str, Field(min_length=1, max_length=16,
                                    pattern=r"^[A-Za-z0-9]+$")] | None = None


# --- Newer request bodies ----------------------------------------------------------------

StatusName = Literal[
    "PENDING", "MATCHED", "DISCREPANCY_LOW", "DISCREPANCY_MEDIUM", "DISCREPANCY_HIGH",
    "AFFILIATE_OVERCLAIMED", "INCOMPLETE_PLATFORM_DATA", "MISSING_PLATFORM_DATA", "QUARANTINED",
]
LevelName = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
AlertType = Literal[
    "HIGH_DISCREPANCY", "MISSING_DATA", "TRUST_THRESHOLD", "PLATFORM_OUTAGE", "SUSPICIOUS_CLAIM",
    "JOB_QUARANTINED", "POST_REMOVED", "VIEW_ANOMALY",
]
AlertStatus = Literal["OPEN", "RESOLVED"]


class RerunIn(Strict):
    """Exactly one scope (report_ids, post_id, campaign_id or platform), plus force."""

    report_ids: Annotated[list[Id], Field(min_length=1, max_length=500)] | None = None
    post_id: Id | None = None
    campaign_id: Id | None = None
    platform: PlatformName | None = None
    force: StrictBool = False

    @model_validator(mode="after")
    def _one_scope(self) -> RerunIn:
        given = [n for n in ("report_ids", "post_id", "campaign_id", "platform")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of report_ids, post_id, campaign_id, platform")
        return self


class ResolveIn(Strict):
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class MessageIn(Strict):
    campaign_id: Id
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class HandleIn(Strict):
    platform: PlatformName
    handle: Annotated[str, Field(min_length=1, max_length=65,
                                 pattern=r"^@?[A-Za-z0-9_.\-]{1,64}$")]
