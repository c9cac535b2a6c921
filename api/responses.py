"""Response schemas, for the OpenAPI document: the contract's fields, more allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

Counts = dict[str, int]


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, str]] | None = None


class Metrics(Out):
    views: int
    clicks: int
    conversions: int


class ClientOut(Out):
    id: int
    name: str


class UserOut(Out):
    id: int
    name: str
    email: str
    role: str
    client_id: int | None
    trust_score: float
    is_active: bool


class UserCreated(UserOut):
    api_key: str


class ApiKeyOut(Out):
    api_key: str


class PlatformOut(Out):
    name: str
    display_name: str
    is_active: bool


class SourcesOut(Out):
    clicks: str
    conversions: str


class CampaignOut(Out):
    id: int
    name: str
    client_id: int
    platforms: list[str]
    status: str
    sources: SourcesOut
    required_tags: list[str]
    require_verified_handle: bool
    landing_url: str | None
    attribution_window_days: int


class Accepted(Out):
    post_id: int
    report_id: int
    status: str
    priority: str
    suspicion_flags: list[dict[str, Any]]
    links: dict[str, str]


class MessageAccepted(Accepted):
    understood: dict[str, Any]


class MetricResultOut(Out):
    """One claimed metric against its own source (docs/sources.md)."""

    claimed: int
    observed: int | None
    difference: int | None
    pct: float | None
    source: str  # platform | tracked | postback | none (legacy_engagement: before 0010)
    verifiable: bool


class ReconciliationOut(Out):
    status: str
    metrics: dict[str, MetricResultOut]


class SnapshotOut(Out):
    """What one attempt saw: the platform's report and the compared clicks and conversions."""

    attempt: int
    fetched_at: str | None
    views: int | None
    clicks: int | None
    conversions: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    link_clicks: int | None
    author: str | None
    published_at: str | None
    caption: str | None
    sources: dict[str, str]


class ReportOut(Out):
    report_id: int
    post_id: int
    affiliate_id: int
    campaign_id: int
    platform: str
    url: str
    claimed: Metrics
    submitted_at: str
    suspicion_flags: list[dict[str, Any]]
    reconciliation: ReconciliationOut
    snapshots: list[SnapshotOut]
    alerts: list[dict[str, Any]]


class TrustOut(Out):
    score: float
    bucket: str
    ledger: list[dict[str, Any]]


class SubmissionItem(Out):
    post_id: int
    report_id: int
    campaign_id: int
    affiliate_id: int
    platform: str
    url: str
    status: str
    claimed: Metrics


class ResultItem(Out):
    report_id: int
    post_id: int
    status: str
    discrepancy_level: str | None
    reconciliation: dict[str, Any]


class RerunOut(Out):
    enqueued: int
    report_ids: list[int]


class AlertOut(Out):
    id: int
    type: str
    category: str
    severity: str
    status: str
    title: str
    message: str
    affiliate_id: int | None
    platform: str | None
    report_id: int | None
    threshold_breached: dict[str, Any]
    created_at: str
    resolved_at: str | None
    resolved_by: int | None
    resolution_note: str | None
    deliveries: list[Any]


class AlertStats(Out):
    by_status: Counts
    by_type: Counts
    by_severity: Counts
    last_24h: int


class Reconciliation(Out):
    by_status: Counts
    success_rate: float | None
    pending: int


class Funnel(Out):
    """views → clicks → conversions of verified numbers; rates over posts with both measured."""

    views: int | None
    clicks: int | None
    conversions: int | None
    click_rate: float | None
    conversion_rate: float | None


class Totals(Out):
    posts: int
    reports: int
    claimed: Metrics
    verified: Metrics
    funnel: Funnel


class Analytics(Out):
    campaign_id: int
    totals: Totals
    reconciliation: Reconciliation
    by_platform: list[dict[str, Any]]
    by_affiliate: list[dict[str, Any]]
    by_post: list[dict[str, Any]]
    open_alerts: int
    recent_alerts: list[AlertOut]


def page_of(item: type[BaseModel], **extra: Any) -> type[BaseModel]:
    """A list response `{items, next_cursor}` (plus `extra` fields) of `item`."""
    fields: dict[str, Any] = {"items": (list[item], ...),  # type: ignore[valid-type]
                              "next_cursor": (str | None, ...)}
    fields.update({k: (v, ...) for k, v in extra.items()})
    return create_model(f"{item.__name__}Page", __base__=Out, **fields)


class AuditEventOut(Out):
    id: int
    occurred_at: str
    actor: str
    actor_user_id: int | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class ResultsSummary(Out):
    by_status: Counts


ResultsPage = page_of(ResultItem, summary=ResultsSummary)


class HandleOut(Out):
    platform: str
    handle: str
    status: str
    verification_code: str
    verified_at: str | None


class HandleVerified(HandleOut):
    """status is "verified"."""


class HandleList(Out):
    items: list[HandleOut]
