"""Tracked links, their clicks, conversion postbacks and the clients' postback secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reconcile.persistence.models import Base, Id, When, utcnow


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
