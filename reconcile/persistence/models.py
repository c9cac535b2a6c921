"""SQLAlchemy models; the Alembic migrations are the source of truth for the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


Score = Numeric(6, 4, asdecimal=False)
Metric = BigInteger().with_variant(Integer(), "sqlite")
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that reads back time-zone aware on every database.

    PostgreSQL keeps the zone (timestamptz); SQLite stores none and hands back naive
    values. Every time this system stores is UTC, so a naive one read back is UTC: this type
    says so once, for every reader, instead of each reader repairing it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


When = UTCDateTime()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}



def table_of(model: type[Base]) -> Table:
    """The model's Core table: statements built once at import use it (the ORM types a mapped
    class's __table__ as a plain FromClause)."""
    return cast(Table, model.__table__)


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_prefix: Mapped[str] = mapped_column(String(16))
    trust_score: Mapped[float] = mapped_column(Score)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class Platform(Base):
    __tablename__ = "platforms"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)
    # Where verified clicks and conversions come from (truth.md, "Sources"; migration 0010).
    clicks_source: Mapped[str] = mapped_column(String(16), default="tracked",
                                               server_default="tracked")
    conversions_source: Mapped[str] = mapped_column(String(16), default="postback",
                                                    server_default="postback")
    required_tags: Mapped[list[Any]] = mapped_column(JSON, default=list,
                                                     server_default="[]")
    require_verified_handle: Mapped[bool] = mapped_column(Boolean, default=True,
                                                          server_default=true())
    # Where a tracked link lands (truth.md, Tracked links) and how long after a click a
    # conversion is still attributed to it (migration 0009).
    landing_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=30,
                                                         server_default="30")


class CampaignPlatform(Base):
    __tablename__ = "campaign_platforms"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(ForeignKey("platforms.name"), primary_key=True)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("affiliate_id", "campaign_id", "platform", "normalized_url"),
        # A campaign's posts newest first, read in order (migration 0013).
        Index("ix_posts_campaign_id_id", "campaign_id", "id"),
        # An affiliate's posts on a platform: the velocity baseline (migration 0014).
        Index("ix_posts_affiliate_id_platform_id", "affiliate_id", "platform", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    platform: Mapped[str] = mapped_column(ForeignKey("platforms.name"))
    url: Mapped[str] = mapped_column(String(2048))
    normalized_url: Mapped[str] = mapped_column(String(2048), index=True)
    platform_post_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)
    # Views per hour from publication to the newest reading (rules.anomaly.post_rate),
    # written with each snapshot: the velocity rule's baseline reads it (migration 0014).
    views_per_hour: Mapped[float | None] = mapped_column(Float, nullable=True)


class Report(Base):
    __tablename__ = "reports"
    # A post's newest report is one backward probe (migration 0013).
    __table_args__ = (Index("ix_reports_post_id_id", "post_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_views: Mapped[int] = mapped_column(Metric)
    claimed_clicks: Mapped[int] = mapped_column(Metric)
    claimed_conversions: Mapped[int] = mapped_column(Metric)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    suspicion_flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(When, default=utcnow, index=True)


class ReconciliationLog(Base):
    __tablename__ = "reconciliation_logs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="PENDING", index=True)
    discrepancy_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    scheduled_retry_at: Mapped[datetime | None] = mapped_column(When, nullable=True, index=True)
    is_terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    confidence_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    missing_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    max_discrepancy_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trust_delta: Mapped[float | None] = mapped_column(Score, nullable=True)
    rules_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(When, default=utcnow, onupdate=utcnow)
    # The job for the next attempt (attempt_count + 1), as it was last handed to the broker:
    # when, to which queue, why, and when a worker began it. The sweep reads these to tell a
    # message still queued from one that is lost (docs/reliability.md, the sweep).
    dispatched_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    job_priority: Mapped[str | None] = mapped_column(String(8), nullable=True)
    job_trigger: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    # Runs of that job that failed for a reason of its own; at the limit it is quarantined.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # When the report first reached an outcome that moves trust: the live period of
    # takedown monitoring counts from here (truth.md, Takedown; migration 0012).
    verified_at: Mapped[datetime | None] = mapped_column(When, nullable=True)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("report_id", "attempt_number"),
                      # the dashboard's timeline: the last hours only (migration 0013)
                      Index("ix_attempts_finished_at", "finished_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    discrepancy_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    missing_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    confidence_ratio: Mapped[float] = mapped_column(Float)
    max_discrepancy_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rules_version: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(16), default="submission")
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(When)
    finished_at: Mapped[datetime] = mapped_column(When, default=utcnow)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)


class Snapshot(Base):
    __tablename__ = "snapshots"
    # A post's newest snapshot is one backward probe (migration 0013).
    __table_args__ = (Index("ix_snapshots_post_id_id", "post_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    # What the platform reported (migration 0010): the counts under their own names, never
    # mapped onto clicks or conversions, and the post's author, time and caption.
    views: Mapped[int | None] = mapped_column(Metric, nullable=True)
    likes: Mapped[int | None] = mapped_column(Metric, nullable=True)
    comments: Mapped[int | None] = mapped_column(Metric, nullable=True)
    shares: Mapped[int | None] = mapped_column(Metric, nullable=True)
    link_clicks: Mapped[int | None] = mapped_column(Metric, nullable=True)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    caption: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The clicks and conversions the attempt compared, each from its own source, and the
    # source of every compared metric: {"views": "platform", "clicks": "tracked", ...}.
    # Snapshots from before 0010 say "legacy_engagement" where they held engagement.
    clicks: Mapped[int | None] = mapped_column(Metric, nullable=True)
    conversions: Mapped[int | None] = mapped_column(Metric, nullable=True)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    fetched_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class TrustEffect(Base):
    """The one trust effect a post currently has: that of its latest verified report (a
    newer report's outcome replaces an older one's; the ledger keeps the history)."""

    __tablename__ = "trust_effects"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    delta: Mapped[float] = mapped_column(Score)
    updated_at: Mapped[datetime] = mapped_column(When, default=utcnow, onupdate=utcnow)


class TrustLedger(Base):
    __tablename__ = "trust_ledger"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    event: Mapped[str] = mapped_column(String(48))
    delta: Mapped[float] = mapped_column(Score)
    score_after: Mapped[float] = mapped_column(Score)
    rules_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("report_id", "rule"),
        # R2's repeat check and per-affiliate reads (migration 0002).
        Index("ix_alerts_affiliate_platform_created", "affiliate_id", "platform", "created_at"),
        # The open-alert counts: an index-only scan of the open ones (migration 0015).
        Index("ix_alerts_open_severity_type", "severity", "type",
              postgresql_where=text("status = 'OPEN'"), sqlite_where=text("status = 'OPEN'")),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rule: Mapped[str] = mapped_column(String(4))
    # Unique per cause: "<report>:<rule>", or "R5:<platform>:<opened_at>" for outages.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="OPEN", index=True)
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    threshold_breached: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deliveries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # When the digest this folded alert belongs to is due; cleared once it went out (or was
    # given up). Kept here, not in Redis, so that no folded alert is ever left out of one.
    digest_due_at: Mapped[datetime | None] = mapped_column(When, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Indexed for the housekeeping task, which deletes keys past their retention.
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow, index=True)


class AuditEvent(Base):
    """One operator (or system) action: who, when, what, on what, before and after.

    Append-only: the application only inserts (reconcile.services.audit), and the database
    refuses UPDATE and DELETE on this table with a trigger (migration 0003).
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(When, default=utcnow, index=True)
    # "user:<id>", "cli" or "system"; the user's id and role are kept apart for filtering.
    actor: Mapped[str] = mapped_column(String(32), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Switch(Base):
    """An operator's on/off switch for the whole system (the intake pause), kept here so
    that losing Redis, which caches it, never flips it."""

    __tablename__ = "switches"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_on: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime | None] = mapped_column(When, nullable=True)


# --- Tracked links, their clicks, conversion postbacks, postback secrets (migration 0009) ---


class TrackedLink(Base):
    __tablename__ = "tracked_links"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # A link belongs to at most one post (and a post has at most one link).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), nullable=True,
                                                unique=True)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class Click(Base):
    """One redirect, counted or filtered with its reason; click_id is the idempotency key."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_link_counted_at", "link_id", "counted", "clicked_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    click_id: Mapped[str] = mapped_column(String(32), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("tracked_links.id"))
    # A keyed hash of the client address: the address itself is never stored.
    visitor_hash: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256), nullable=True)
    counted: Mapped[bool] = mapped_column(Boolean)
    filter_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    clicked_at: Mapped[datetime] = mapped_column(When)
    recorded_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class Conversion(Base):
    """A conversion postback; reversal marks it, nothing is deleted."""

    __tablename__ = "conversions"
    __table_args__ = (
        UniqueConstraint("client_id", "event_id", name="uq_conversions_client_event"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    click_id: Mapped[str] = mapped_column(ForeignKey("clicks.click_id"), index=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(When)
    received_at: Mapped[datetime] = mapped_column(When, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # counted, outside_window, filtered_click
    reversed_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    reverse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class PostbackSecret(Base):
    """A client's current postback secret (kept as is: HMAC verification needs the key)."""

    __tablename__ = "postback_secrets"
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class AffiliateHandle(Base):
    """An affiliate's handle on a platform and whether its profile bio proved it (0012).

    At most one affiliate holds a handle verified: the partial unique index
    ix_affiliate_handles_verified."""

    __tablename__ = "affiliate_handles"
    __table_args__ = (
        UniqueConstraint("affiliate_id", "platform", name="uq_affiliate_handles_platform"),
        Index("ix_affiliate_handles_verified", "platform", "handle_key", unique=True,
              postgresql_where=text("status = 'verified'"),
              sqlite_where=text("status = 'verified'")),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform: Mapped[str] = mapped_column(ForeignKey("platforms.name"))
    handle: Mapped[str] = mapped_column(String(100))
    # The handle as platforms compare them (no @, case-folded): rules.post_checks.handle_key.
    handle_key: Mapped[str] = mapped_column(String(100))
    verification_code: Mapped[str] = mapped_column(String(32))
    # The display name the profile showed at verification: YouTube names a video's channel
    # by its title, not its handle (reconcile.services.handles.verified).
    profile_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="unverified")
    verified_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)
# --- Earnings: rate cards, the earnings ledger, payouts (migration 0011; earnings.md) ---


class RateCard(Base):
    """One version of a campaign's rate card; a change is a new row, never an update."""

    __tablename__ = "rate_cards"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    cpm_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cpc_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cpa_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A percentage kept exactly (Decimal), as given: 12.5 is 12.5 %.
    cpa_percent: Mapped[Any] = mapped_column(Numeric(9, 4), nullable=True)
    flat_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cap_per_post_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    budget_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    validation_days: Mapped[int] = mapped_column(Integer, default=14)
    live_days: Mapped[int] = mapped_column(Integer, default=30)
    created_by: Mapped[int | None] = mapped_column(Id, nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class EarningEntry(Base):
    """One ledger entry. Append-only: only `status`, `payout_id`, `operator_release` and
    `status_changed_at` ever change, and the database refuses any other update, any delete,
    and a paid entry changing again (migration 0011)."""

    __tablename__ = "earnings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # earning, reversal, clawback
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text)
    rate_card_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow, index=True)
    # When a pending entry's validation window ends (created_at + validation_days).
    approve_after: Mapped[datetime] = mapped_column(When)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), nullable=True,
                                                  index=True)
    # Released by an operator while its cause still stands: later hold checks leave it be.
    operator_release: Mapped[bool] = mapped_column(Boolean, default=False)
    status_changed_at: Mapped[datetime | None] = mapped_column(When, nullable=True)


class PostEarning(Base):
    """What the ledger remembers about a post besides its entries: the last report settled,
    a takedown (it earns nothing from then on), amounts operators rejected, and why its
    entries are held now."""

    __tablename__ = "post_earnings"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    rejected_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    hold_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class Payout(Base):
    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # One payout per period: the same period_end again returns this one.
    period_end: Mapped[date] = mapped_column(Date, unique=True)
    min_payout_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(When, default=utcnow)


class PayoutStatement(Base):
    __tablename__ = "payout_statements"
    __table_args__ = (UniqueConstraint("payout_id", "affiliate_id", "currency"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    entry_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


# Running counts (migration 0016; reconcile/persistence/tallies.py): triggers append a
# delta row per change (+ the new key's contribution, - the old one's) without touching any
# shared row, so concurrent writers never queue on a counter; beat folds the deltas into
# one row per key; reads sum both. Key columns hold '' or 0 for "none", so a key is unique.


class ReportTally(Base):
    """Reports by campaign, platform, affiliate, status, discrepancy level and bin."""

    __tablename__ = "report_tallies"
    campaign_id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    discrepancy_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)  # -1: no discrepancy
    n: Mapped[int] = mapped_column(BigInteger)


class ReportTallyDelta(Base):
    __tablename__ = "report_tally_deltas"
    __table_args__ = (Index("ix_report_tally_deltas_campaign_id", "campaign_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Id)
    platform: Mapped[str] = mapped_column(String(32))
    affiliate_id: Mapped[int] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(32))
    discrepancy_level: Mapped[str] = mapped_column(String(16))
    bin: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)


class _PostTallyColumns:
    """Posts' current states by campaign, platform, affiliate, status, each metric's source
    ('' where none) and whether it was seen (unseen_*: 1 where not), with the sums."""

    campaign_id: Mapped[int] = mapped_column(Id)
    platform: Mapped[str] = mapped_column(String(32))
    affiliate_id: Mapped[int] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(32))
    source_views: Mapped[str] = mapped_column(String(32))
    source_clicks: Mapped[str] = mapped_column(String(32))
    source_conversions: Mapped[str] = mapped_column(String(32))
    unseen_views: Mapped[int] = mapped_column(Integer)
    unseen_clicks: Mapped[int] = mapped_column(Integer)
    unseen_conversions: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)
    claimed_views: Mapped[int] = mapped_column(BigInteger)
    claimed_clicks: Mapped[int] = mapped_column(BigInteger)
    claimed_conversions: Mapped[int] = mapped_column(BigInteger)
    seen_views: Mapped[int] = mapped_column(BigInteger)
    seen_clicks: Mapped[int] = mapped_column(BigInteger)
    seen_conversions: Mapped[int] = mapped_column(BigInteger)


class PostTally(_PostTallyColumns, Base):
    __tablename__ = "post_tallies"
    __table_args__ = (PrimaryKeyConstraint(
        "campaign_id", "platform", "affiliate_id", "status", "source_views", "source_clicks",
        "source_conversions", "unseen_views", "unseen_clicks", "unseen_conversions"),)


class PostTallyDirty(Base):
    """A post whose state changed since the last fold: named by a snapshot (post_id) or a
    log (report_id; resolved by the fold and the reads, so the trigger reads nothing)."""

    __tablename__ = "post_tally_dirty"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    post_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    report_id: Mapped[int | None] = mapped_column(Id, nullable=True)


class PostTallyState(Base):
    """What each post last added to post_tallies (n 0: nothing), so the fold can take
    exactly that back when the post changes."""

    __tablename__ = "post_tally_states"
    post_id: Mapped[int] = mapped_column(Id, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    affiliate_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_views: Mapped[int | None] = mapped_column(Metric, nullable=True)
    claimed_clicks: Mapped[int | None] = mapped_column(Metric, nullable=True)
    claimed_conversions: Mapped[int | None] = mapped_column(Metric, nullable=True)
    seen_views: Mapped[int | None] = mapped_column(Metric, nullable=True)
    seen_clicks: Mapped[int | None] = mapped_column(Metric, nullable=True)
    seen_conversions: Mapped[int | None] = mapped_column(Metric, nullable=True)
    source_views: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_clicks: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_conversions: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AlertTally(Base):
    """Alerts by campaign (0: none), affiliate (0: none), severity, type and status."""

    __tablename__ = "alert_tallies"
    campaign_id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(Id, primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AlertTallyDelta(Base):
    __tablename__ = "alert_tally_deltas"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Id)
    affiliate_id: Mapped[int] = mapped_column(Id)
    severity: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(BigInteger)


class AttemptTally(Base):
    """Attempts finished per UTC hour ("YYYY-MM-DD HH") and status, at three levels: all of
    them (campaign 0, affiliate 0), per campaign (affiliate 0), per affiliate (campaign 0);
    migration 0018, read by the dashboard's timeline."""

    __tablename__ = "attempt_tallies"
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Id, primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AttemptTallyDelta(Base):
    __tablename__ = "attempt_tally_deltas"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    hour: Mapped[str] = mapped_column(String(13))
    campaign_id: Mapped[int] = mapped_column(Id)
    affiliate_id: Mapped[int] = mapped_column(Id)
    status: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(BigInteger)
