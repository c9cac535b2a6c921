"""The bench's submissions: unique valid URLs on every platform, a realistic mix of claims."""

from __future__ import annotations

import json
from collections import Counter

from reconcile.bench.workload import Fixtures, submission_body, submissions
from reconcile.platforms.urls import normalise
from reconcile.rules import classify, load_rules
from reconcile.sim.store import default_truth
from reconcile.vocabulary import PLATFORMS

TOKEN = "a1b2c3"


def _bodies(count: int) -> list[dict]:
    return [json.loads(submission_body(n, 7, TOKEN)) for n in range(count)]


def test_every_submission_url_normalises_to_a_distinct_post():
    posts = {(b["platform"], normalise(b["platform"], b["url"]).post_id) for b in _bodies(2000)}
    assert len(posts) == 2000


def test_submissions_take_the_platforms_in_turn():
    assert Counter(b["platform"] for b in _bodies(100)) == dict.fromkeys(PLATFORMS, 20)


def test_claims_against_the_simulator_truth_give_a_realistic_mix_of_outcomes():
    rules = load_rules(None).classification
    statuses = Counter()
    for b in _bodies(200):
        truth = default_truth(normalise(b["platform"], b["url"]).post_id)
        claimed = {m: b[f"claimed_{m}"] for m in ("views", "clicks", "conversions")}
        # The bench campaign has no tracked links: only views are verifiable, and the bench
        # claims no clicks or conversions (which would only be flagged unverifiable).
        assert claimed["clicks"] == claimed["conversions"] == 0
        observed = {"views": truth.views, "clicks": None, "conversions": None}
        result = classify(claimed, observed, 0.0, rules, verifiable=("views",))
        statuses[str(result.status)] += 1
    assert statuses == {"MATCHED": 110, "DISCREPANCY_LOW": 30, "DISCREPANCY_MEDIUM": 20,
                        "DISCREPANCY_HIGH": 10, "AFFILIATE_OVERCLAIMED": 30}


def test_submissions_spread_over_the_affiliates_keys_in_turn():
    work = submissions(6, Fixtures(campaign_id=3, affiliate_keys=["k1", "k2", "k3"]))
    keys = [headers["Authorization"] for _, headers in work]
    assert keys == ["Bearer k1", "Bearer k2", "Bearer k3"] * 2
    assert all(json.loads(body)["campaign_id"] == 3 for body, _ in work)
