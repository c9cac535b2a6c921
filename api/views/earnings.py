"""Rate cards, earnings, payouts (earnings.md)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from api.auth import actor, current, require
from api.body import parse
from api.earnings_schemas import (
    DecisionIn,
    EarningsOut,
    EntryOut,
    HeldOut,
    PayoutIn,
    PayoutOut,
    RateCardIn,
    RateCardOut,
    RateCardsOut,
    SpendOut,
)
from api.lists import decode_cursor, encode_cursor
from api.openapi import document
from api.params import ListQuery, parse_query
from reconcile.services.earnings import operator, payouts
from reconcile.services.earnings.cards import CardChange, get_rate_card, put_rate_card
from reconcile.services.reads import earnings as reads
from reconcile.vocabulary import Role

bp = Blueprint("earnings", __name__)


@bp.put("/campaigns/<int:campaign_id>/rate-card")
@document("Set the campaign's rate card (a new version)", body=RateCardIn,
          response=RateCardOut,
          description="Amounts are integers in minor units; cpa_percent is an exact decimal. "
                      "Each change is a new version; earnings record the version they used. "
                      "Changing the currency once the campaign has earnings → 409 "
                      "CURRENCY_FIXED.")
@require(Role.ADMIN, Role.CLIENT)
def put_card(campaign_id: int):
    b = parse(RateCardIn)
    change = CardChange(
        currency=b.currency, cpm_minor=b.cpm_minor, cpc_minor=b.cpc_minor,
        cpa_minor=b.cpa_minor, cpa_percent=b.cpa_percent, flat_minor=b.flat_minor,
        milestones=tuple((m.views, m.bonus_minor) for m in b.milestones),
        cap_per_post_minor=b.cap_per_post_minor, budget_minor=b.budget_minor,
        validation_days=b.validation_days, live_days=b.live_days)
    return jsonify(put_rate_card(current(), campaign_id, change, g.request_id))


@bp.get("/campaigns/<int:campaign_id>/rate-card")
@document("The campaign's current rate card and its history", response=RateCardsOut)
@require()
def get_card(campaign_id: int):
    return jsonify(get_rate_card(current(), campaign_id))


@bp.get("/campaigns/<int:campaign_id>/spend")
@document("The campaign's spend against its budget", response=SpendOut,
          description="committed = pending + approved + held + paid; over_budget entries "
                      "are never committed.")
@require(Role.CLIENT, Role.ADMIN, Role.ANALYST)
def spend(campaign_id: int):
    return jsonify(reads.campaign_spend(current(), campaign_id))


@bp.get("/affiliates/<int:affiliate_id>/earnings")
@document("An affiliate's balances by status and its ledger entries", query=ListQuery,
          response=EarningsOut,
          description="Entries newest first, paginated with `cursor`. An affiliate sees "
                      "only its own (404 for another's).")
@require(Role.AFFILIATE, Role.ADMIN, Role.ANALYST)
def affiliate_earnings(affiliate_id: int):
    q = parse_query(ListQuery)
    body = reads.affiliate_earnings(current(), affiliate_id, after=decode_cursor(q.cursor),
                                    limit=q.limit)
    entries = body["entries"]
    more = len(entries) > q.limit
    body["entries"] = entries[:q.limit]
    body["next_cursor"] = encode_cursor(body["entries"][-1]["id"]) if more else None
    return jsonify(body)


@bp.get("/earnings/held")
@document("Held amounts per post, with the reasons they are held", response=HeldOut,
          description="A client sees its own campaigns'.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def held():
    return jsonify({"items": reads.held_overview(current())})


def _decision() -> str | None:
    return parse(DecisionIn).note if request.content_length else None


@bp.post("/earnings/<int:entry_id>/release")
@document("Release a held entry to pending (or approved once its window has passed)",
          body=DecisionIn, response=EntryOut,
          description="Recorded in the audit trail. An entry that is not held → 409 "
                      "ENTRY_NOT_HELD.")
@require(Role.ADMIN, Role.CLIENT)
def release(entry_id: int):
    return jsonify(operator.release(current(), entry_id, _decision(), g.request_id))


@bp.post("/earnings/<int:entry_id>/reject")
@document("Reject a held entry: it is reversed, and never paid", body=DecisionIn,
          response=EntryOut,
          description="Recorded in the audit trail. An entry that is not held → 409 "
                      "ENTRY_NOT_HELD.")
@require(Role.ADMIN, Role.CLIENT)
def reject(entry_id: int):
    return jsonify(operator.reject(current(), entry_id, _decision(), g.request_id))


@bp.post("/payouts")
@document("Pay every approved balance up to period_end", body=PayoutIn, response=PayoutOut,
          status=201,
          description="Per affiliate and currency: approved entries and clawbacks up to the "
                      "end of period_end (UTC); balances under min_payout_minor, or ≤ 0, carry "
                      "over. The same period_end again → 200 with the existing payout; "
                      "nothing is written.",
          also={200: "The payout already made for this period_end (nothing written)"})
@require(Role.ADMIN)
def create_payout():
    b = parse(PayoutIn)
    body, new = payouts.run_payout(b.period_end, b.min_payout_minor, actor())
    return jsonify(body), 201 if new else 200


@bp.get("/payouts/<int:payout_id>")
@document("A payout and its statements", response=PayoutOut)
@require(Role.ADMIN, Role.ANALYST)
def get_payout(payout_id: int):
    return jsonify(payouts.get_payout(payout_id))


@bp.get("/payouts/<int:payout_id>/statements.csv")
@document("A payout's statements as CSV", media="text/csv",
          description="Columns: payout_id, period_end, affiliate_id, currency, amount_minor, "
                      "entry_ids (space-separated).")
@require(Role.ADMIN, Role.ANALYST)
def statements_csv(payout_id: int):
    return Response(payouts.statements_csv(payout_id), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="payout-{payout_id}-statements.csv"'})
