"""Request and response schemas of rate cards, earnings and payouts (earnings.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictInt, model_validator

from api.responses import Out
from api.schemas import RequestModel, Strict
from api.tracking_schemas import Currency

Minor = Annotated[StrictInt, Field(ge=0, le=10**15,
                                   description="integer, in the currency's minor unit")]
Days = Annotated[StrictInt, Field(ge=0, le=3650)]


class MilestoneIn(Strict):
    views: Annotated[StrictInt, Field(ge=1, le=10**15)]
    bonus_minor: Minor


class RateCardIn(Strict):
    # Decimal accepts a JSON number or a string ("12.5"): never a float in arithmetic.
    model_config = ConfigDict(extra="forbid", strict=False)
    currency: Currency
    cpm_minor: Minor | None = None
    cpc_minor: Minor | None = None
    cpa_minor: Minor | None = None
    cpa_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4,
                                          description="percent of a conversion's amount")
                           ] | None = None
    flat_minor: Minor | None = None
    milestones: Annotated[list[MilestoneIn], Field(max_length=50)] = []
    cap_per_post_minor: Minor | None = None
    budget_minor: Minor | None = None
    validation_days: Days = 14
    live_days: Days = 30

    @model_validator(mode="before")
    @classmethod
    def _integers_stay_integers(cls, data: Any) -> Any:
        # Lax mode is on for cpa_percent only: "10" or 10.0 for an amount is refused.
        if isinstance(data, dict):
            for name, value in data.items():
                if (name.endswith("_minor") or name.endswith("_days")) and not (
                        value is None or (isinstance(value, int)
                                          and not isinstance(value, bool))):
                    raise ValueError(f"{name} must be an integer")
        return data


class RateCardOut(Out):
    campaign_id: int
    version: int
    currency: str
    cpa_percent: str | None


class RateCardsOut(Out):
    campaign_id: int
    current: RateCardOut | None
    history: list[RateCardOut]


class PayoutIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=False)
    period_end: dt.date = Field(description="ISO date (YYYY-MM-DD): approved entries "
                                            "created up to the end of that UTC day")
    min_payout_minor: Annotated[StrictInt, Field(ge=0, le=10**15)] = 0


class StatementOut(Out):
    affiliate_id: int
    currency: str
    amount_minor: int
    entry_ids: list[int]


class PayoutOut(Out):
    payout_id: int
    period_end: str
    statements: list[StatementOut]


class EntryOut(Out):
    id: int
    affiliate_id: int
    campaign_id: int
    post_id: int
    report_id: int | None
    kind: str
    amount_minor: int
    currency: str
    status: str
    reason: str
    rate_card_version: int | None
    created_at: str


class BalanceOut(Out):
    currency: str
    pending: int
    held: int
    approved: int
    paid: int
    clawback: int


class EarningsOut(Out):
    affiliate_id: int
    balances: list[BalanceOut]
    entries: list[EntryOut]
    next_cursor: str | None


class SpendOut(Out):
    campaign_id: int
    currency: str | None
    budget_minor: int | None
    committed_minor: int
    paid_minor: int
    held_minor: int
    by_affiliate: list[dict[str, Any]]


class HeldOut(Out):
    items: list[dict[str, Any]]


class DecisionIn(RequestModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: Annotated[str, Field(min_length=1, max_length=500)] | None = None
