"""The dashboard's reads under /api/v1: who am I, and the aggregates its charts draw.

The page itself (`GET /dashboard`) and its assets are served by `api.dashboard`.
"""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current, require
from api.openapi import document
from api.params import QueryId, parse_query
from api.responses import Counts, Out
from reconcile.services.reads import dashboard as reads
from reconcile.vocabulary import Role

bp = Blueprint("dashboard", __name__)


class MeOut(Out):
    id: int
    name: str
    role: str
    client_id: int | None


class CampaignFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: QueryId | None = None


class TimelineQuery(CampaignFilter):
    hours: Annotated[int, Field(ge=1, le=reads.TIMELINE_HOURS)] = 24


class HourOut(Out):
    hour: str
    by_status: Counts
    total: int


class TimelineOut(Out):
    since: str
    until: str
    hours: list[HourOut]
    by_status: Counts


class BinOut(Out):
    label: str
    count: int


class HistogramOut(Out):
    bins: list[BinOut]
    total: int


class BucketsOut(Out):
    buckets: Counts
    total: int


class OpenAlertsOut(Out):
    by_severity: Counts
    by_type: Counts
    total: int


@bp.get("/me")
@document("The caller: id, name, role and client", response=MeOut)
@require()
def me():
    return jsonify(reads.whoami(current()))


@bp.get("/reconciliation/timeline")
@document("Attempts finished per hour by status", query=TimelineQuery, response=TimelineOut,
          description="One entry per UTC hour from `hours` ago (default 24, at most 168) to "
                      "now, oldest first; a client counts only its own campaigns.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def timeline():
    q = parse_query(TimelineQuery)
    return jsonify(reads.status_timeline(current(), q.hours, q.campaign_id))


@bp.get("/reconciliation/discrepancies")
@document("Reports by worst metric discrepancy (histogram)", query=CampaignFilter,
          response=HistogramOut,
          description="Bins of max_discrepancy_pct (upper edge inclusive): 0–5 %, 5–10 %, "
                      "10–20 %, 20–50 %, 50–100 %, over 100 %; reports without a number "
                      "(pending, missing data) are left out. A client counts its own.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def discrepancies():
    q = parse_query(CampaignFilter)
    return jsonify(reads.discrepancy_histogram(current(), q.campaign_id))


@bp.get("/affiliates/buckets")
@document("Active affiliates per trust bucket", response=BucketsOut)
@require(Role.ADMIN, Role.ANALYST)
def buckets():
    return jsonify(reads.trust_buckets())


@bp.get("/alerts/open-counts")
@document("Open alerts by severity and type", response=OpenAlertsOut,
          description="A client counts the alerts on its campaigns' reports.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def open_alerts():
    return jsonify(reads.open_alert_counts(current()))
