"""Drive one post through the earnings events of docs/earnings.md's worked table, on the
real path: simulator views, a real tracked link clicked through the redirect, real
postbacks, and reconciliation attempts."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Alert,
    Conversion,
    EarningEntry,
    ReconciliationLog,
    Report,
)
from reconcile.rules import AlertSpec
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.alerts.manage import resolve_alert
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.audit import SYSTEM as SYSTEM_ACTOR
from reconcile.services.earnings import post_removed
from reconcile.services.earnings.approval import approve_due
from reconcile.services.earnings.operator import reject
from reconcile.services.earnings.payouts import run_payout
from reconcile.services.intake.submissions import Claim, submit, update_metrics
from reconcile.services.principal import SYSTEM, Principal
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.services.reconciliation.reversal import reverse
from reconcile.services.tracking.counts import has_tracked_link
from tests.conftest import ROOT, unique, unique_post_url
from tests.integration.tracking_help import LANDING, auth, click, drain

DOC = ROOT / "docs" / "earnings.md"


def worked_table(path: Path = DOC) -> list[dict[str, str]]:
    """The rows of the doc's "Worked table" section, as dicts keyed by its header."""
    text = path.read_text(encoding="utf-8").split("## Worked table", 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, [c.strip() for c in ln.strip("|").split("|")], strict=True))
            for ln in lines[2:]]


def card_body(cell: str) -> dict[str, Any]:
    body: dict[str, Any] = {"currency": "USD"}
    for part in filter(None, (p.strip() for p in cell.split(","))):
        name, value = part.split("=")
        if name == "milestones":
            body[name] = [{"views": int(v), "bonus_minor": int(b)}
                          for v, b in (m.split(":") for m in value.split("+"))]
        elif name == "cpa_percent":
            body[name] = value
        else:
            body[name] = int(value)
    return body


def entries_of(cell: str) -> list[tuple[str, int, str]]:
    return [(k, int(a), s) for k, a, s in (e.split() for e in cell.split(";") if e.strip())]


def balances_of(cell: str) -> dict[str, int]:
    found = {k: 0 for k in ("pending", "held", "approved", "paid", "clawback")}
    found.update({k: int(v) for k, v in (p.split("=") for p in cell.split())})
    return found


def far_period_end() -> date:
    """A period of its own: payouts are unique per period_end across the shared database."""
    return date(2200, 1, 1) + timedelta(days=random.randrange(1, 2_000_000))


@dataclass
class Scene:
    """One affiliate's post on a campaign of its own, and the HTTP client to drive it."""

    client: Any
    world: Any
    sim: Any
    affiliate: dict[str, Any] = field(default_factory=dict)
    campaign_id: int = 0
    post_id: int = 0
    url: str = ""
    code: str | None = None
    click_ids: list[str] = field(default_factory=list)
    conversions: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)

    def start(self, card: dict[str, Any]) -> None:
        self.affiliate = self.world.new_affiliate()
        self.campaign_id = int(create_campaign(
            SYSTEM, name=unique("campaign"), client_id=self.world.client_id,
            platforms=["youtube"], landing_url=LANDING)["id"])
        r = self.client.put(f"/api/v1/campaigns/{self.campaign_id}/rate-card", json=card,
                            headers=auth(self.world.advertiser))
        assert r.status_code == 200, r.get_json()
        self.url = unique_post_url("youtube")

    @property
    def principal(self) -> Principal:
        return Principal(self.affiliate["id"], "AFFILIATE")

    def _counts(self, clicks: str, conversions: str, amounts: list[int]) -> bool:
        """Make the link's counted clicks and conversions reach the numbers given."""
        if clicks == "-":
            return False
        if self.code is None:
            r = self.client.post("/api/v1/links", json={"campaign_id": self.campaign_id},
                                 headers=auth(self.affiliate))
            assert r.status_code == 201, r.get_json()
            self.code = str(r.get_json()["code"])
        while len(self.click_ids) < int(clicks):
            n = len(self.click_ids)
            clicked = click(self.client, self.code, ip=f"203.0.{random.randrange(256)}.{n}")
            assert clicked is not None
            self.click_ids.append(clicked)
        drain()
        while conversions != "-" and len(self.conversions) < int(conversions):
            n = len(self.conversions)
            body: dict[str, Any] = {"click_id": self.click_ids[n], "event_id": unique("ev")}
            if amounts:
                body.update(amount_minor=amounts[n], currency="USD")
            r = self.client.post("/api/v1/postbacks", json=body,
                                 headers=auth(self.world.advertiser))
            assert r.status_code == 201 and r.get_json()["status"] == "counted", r.get_json()
            self.conversions.append(int(r.get_json()["conversion_id"]))
        return True

    def report(self, args: list[str], first: bool) -> None:
        (views, shown), (claimed_clicks, clicks), (claimed_conv, conversions) = (
            a.split("/") for a in args[:3])
        amounts = [int(a) for a in args[4].split(",")] if len(args) > 4 else []
        linked = self._counts(clicks, conversions, amounts)
        self.sim.post("youtube", self.url, int(shown))
        claim = Claim(int(views), int(claimed_clicks), int(claimed_conv), evidence="shot.png")
        if first:
            accepted = submit(self.principal, campaign_id=self.campaign_id, platform="youtube",
                              url=self.url, claim=claim,
                              link_code=self.code if linked else None)
            self.post_id = int(accepted["post_id"])
        else:
            accepted = update_metrics(self.principal, self.post_id, claim,
                                      has_link=has_tracked_link)
        report_id = int(accepted["report_id"])
        self.reports.append(report_id)
        assert run_attempts([Job(report_id, 1)])[0] is not None

    def rerun_latest(self) -> None:
        with unit_of_work() as uow:
            count = uow.session.scalar(select(ReconciliationLog.attempt_count).where(
                ReconciliationLog.report_id == self.reports[-1]))
        assert run_attempts([Job(self.reports[-1], int(count or 0) + 1, "rerun")])[0]

    def alert(self, kind: str, severity: str, on_report: bool) -> None:
        with unit_of_work() as uow:
            raise_alert(uow.session, AlertSpec(
                "T9", kind, "FRAUD", severity, f"test {kind}", "raised by the worked table"),
                report_id=self.reports[-1] if on_report else None,
                affiliate_id=self.affiliate["id"], platform="youtube",
                dedupe_key=unique("test-alert"))

    def resolve(self) -> None:
        with unit_of_work() as uow:
            ids = list(uow.session.scalars(select(Alert.id).where(
                Alert.status == "OPEN",
                (Alert.affiliate_id == self.affiliate["id"])
                | Alert.report_id.in_(self.reports))))
        for alert_id in ids:
            resolve_alert(SYSTEM, alert_id, "checked by the worked table")

    def run(self, event: str) -> None:
        words = event.split()
        name, args = words[0], words[1:]
        now = datetime.now(UTC)
        if name in ("submit", "update"):
            self.report(args, first=name == "submit")
        elif name == "reverse":
            reverse(SYSTEM, self.conversions[-1], "refund")
            self.rerun_latest()
        elif name == "fraud":
            self.alert("SUSPICIOUS_CLAIM", "HIGH", on_report=False)
        elif name == "anomaly":
            self.alert("VIEW_ANOMALY", "LOW", on_report=True)
        elif name == "resolve":
            self.resolve()
        elif name == "reject":
            [entry] = [e for e in self.entries() if e.status == "held" and e.amount_minor > 0]
            reject(SYSTEM, entry.id, "fraud confirmed")
        elif name == "approve":
            approve_due(now + timedelta(days=15))
        elif name == "payout":
            run_payout(far_period_end(), 0, SYSTEM_ACTOR)
        elif name == "takedown":
            with unit_of_work() as uow:
                post_removed(uow.session, self.reports[-1], now)
        else:
            raise AssertionError(f"unknown event {event!r}")

    def entries(self) -> list[EarningEntry]:
        with unit_of_work() as uow:
            rows = list(uow.session.scalars(select(EarningEntry).where(
                EarningEntry.post_id == self.post_id).order_by(EarningEntry.id)))
            uow.session.expunge_all()
            return rows

    def flags(self) -> list[Any]:
        with unit_of_work() as uow:
            return list(uow.session.scalars(select(Report.suspicion_flags).where(
                Report.post_id == self.post_id)))


def unreversed(conversion_ids: list[int]) -> int:
    with unit_of_work() as uow:
        return len(list(uow.session.scalars(select(Conversion.id).where(
            Conversion.id.in_(conversion_ids), Conversion.reversed_at.is_(None)))))


SPLIT = re.compile(r"\s*;\s*")


# --- the authorisation matrix's scenes (tests/integration/test_api_authz.py) --------------


def held_entry(post_id: int) -> int:
    """A held entry on the post, written as settle would (authorisation is under test)."""
    from sqlalchemy import insert

    from reconcile.persistence.models import Post, table_of

    now = datetime.now(UTC)
    with unit_of_work() as uow:
        post = uow.session.get_one(Post, post_id)
        return int(uow.session.execute(insert(table_of(EarningEntry)).returning(
            table_of(EarningEntry).c.id), {
            "affiliate_id": post.affiliate_id, "campaign_id": post.campaign_id,
            "post_id": post_id, "report_id": None, "kind": "earning", "amount_minor": 100,
            "currency": "USD", "status": "held", "reason": "authorisation matrix",
            "rate_card_version": None, "created_at": now, "approve_after": now,
            "operator_release": False, "status_changed_at": None}).scalar_one())


def matrix_decision(action: str, own: bool) -> Any:
    def make(s: Any, role: str | None) -> tuple[str, Any, str | None]:
        entry = held_entry(s.own_post if own else s.other_post)
        return f"/api/v1/earnings/{entry}/{action}", {"note": "matrix"}, None
    return make


def matrix_payout(s: Any, role: str | None) -> tuple[str, Any, str | None]:
    return "/api/v1/payouts", {"period_end": far_period_end().isoformat()}, None


def matrix_payout_read(suffix: str) -> Any:
    def make(s: Any, role: str | None) -> tuple[str, Any, str | None]:
        if "payout" not in s.extra:
            s.extra["payout"], _ = run_payout(far_period_end(), 10**15, SYSTEM_ACTOR)
        return f"/api/v1/payouts/{s.extra['payout']['payout_id']}{suffix}", None, None
    return make
