"""`reconcile up --demo` started as a user would; submissions and outcomes over HTTP."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests

from tests.conftest import (
    TEST_DB,
    TEST_REDIS,
    USES_POSTGRES,
    Proc,
    _create_postgres_database,
    descendants,
    free_port,
    process_alive,
    unique_video_id,
    wait_for,
)


@pytest.fixture(scope="module")
def system(stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    var = tmp_path_factory.mktemp("up-var")
    ports = {"api": free_port(), "sim": free_port(), "flower": free_port()}
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "RECONCILE_PLATFORM_BASE_URL",
                        "RECONCILE_RULES")}
    env["RECONCILE_VAR_DIR"] = str(var)
    drop_database = None
    if USES_POSTGRES:  # a database of its own, so its beat sweeps only its own reports
        env["DATABASE_URL"], drop_database = _create_postgres_database(TEST_DB)
    if TEST_REDIS:  # a database of its own, so the integration tests' workers stay out
        env["REDIS_URL"] = urlunsplit(urlsplit(TEST_REDIS)._replace(path="/10"))
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    proc = Proc(
        [sys.executable, "-m", "reconcile.cli", "up", "--demo", "--workers", "2",
         "--api-port", str(ports["api"]), "--sim-port", str(ports["sim"]),
         "--flower-port", str(ports["flower"])],
        env, var / "up.log",
    )
    api = f"http://127.0.0.1:{ports['api']}"

    def ready() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"reconcile up exited:\n{proc.output()[-4000:]}")
        return (var / "demo-keys.json").exists() and requests.get(f"{api}/readyz", timeout=1).ok

    try:
        wait_for(ready, 90, 0.2, what="reconcile up to be ready")
        yield {"api": api, "sim": f"http://127.0.0.1:{ports['sim']}", "proc": proc,
               "demo": json.loads((var / "demo-keys.json").read_text()),
               "flower": f"http://127.0.0.1:{ports['flower']}"}
    finally:
        proc.stop()
        if drop_database:
            drop_database()


def _key(demo: dict, name: str) -> dict[str, str]:
    user = next(u for u in demo["users"] if u["name"] == name)
    return {"Authorization": f"Bearer {user['api_key']}"}


def _reconcile(system: dict, affiliate: str, claim: tuple[int, int, int]) -> tuple[dict, float]:
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    truth = {"platform": "youtube", "url": url, "views": 1000, "likes": 50, "comments": 5}
    requests.put(f"{system['sim']}/_sim/posts", json=truth, timeout=5).raise_for_status()
    body = {"campaign_id": system["demo"]["campaign_id"], "platform": "youtube", "url": url,
            "claimed_views": claim[0], "claimed_clicks": claim[1],
            "claimed_conversions": claim[2]}
    headers = _key(system["demo"], affiliate)
    started = time.monotonic()
    resp = requests.post(f"{system['api']}/api/v1/submissions", json=body, headers=headers,
                         timeout=10)
    assert resp.status_code == 202, resp.text
    link = system["api"] + resp.json()["links"]["report"]

    def done() -> dict | None:
        report = requests.get(link, headers=headers, timeout=5).json()
        return report if report["reconciliation"]["status"] != "PENDING" else None

    report = wait_for(done, 30, what="the report to be reconciled")
    return report, time.monotonic() - started


def test_an_overclaim_reads_critical_over_http(system: dict) -> None:
    report, elapsed = _reconcile(system, "Ada Affiliate", (1600, 50, 5))

    rec = report["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")
    assert rec["metrics"]["views"]["pct"] == pytest.approx(0.6)
    print(f"submission to outcome: {elapsed:.3f} s")


def test_an_honest_claim_matches_and_lifts_trust_to_051(system: dict) -> None:
    report, _ = _reconcile(system, "Ben Affiliate", (1000, 50, 5))

    assert report["reconciliation"]["status"] == "MATCHED"
    trust = requests.get(
        f"{system['api']}/api/v1/affiliates/{report['affiliate_id']}/trust",
        headers=_key(system["demo"], "Ben Affiliate"), timeout=5,
    ).json()
    assert trust["score"] == pytest.approx(0.51)
    assert [row["event"] for row in trust["ledger"]] == ["perfect_match"]


# --- a stranger's post with honest numbers (truth.md, The post itself; docs/fraud.md) ----


def _user_id(demo: dict, name: str) -> int:
    return int(next(u for u in demo["users"] if u["name"] == name)["id"])


def test_a_strangers_post_with_honest_numbers_matches_but_is_not_owned(system: dict) -> None:
    api, sim, demo = system["api"], system["sim"], system["demo"]
    # Ben proves his YouTube handle: the code goes in his channel's description.
    ben, handle = _user_id(demo, "Ben Affiliate"), f"ben_{unique_video_id().lower()}"
    added = requests.post(f"{api}/api/v1/affiliates/{ben}/handles",
                          json={"platform": "youtube", "handle": f"@{handle}"},
                          headers=_key(demo, "Ben Affiliate"), timeout=5)
    assert added.status_code == 201, added.text
    profile = {"platform": "youtube", "handle": handle,
               "bio": f"Reviews every week. {added.json()['verification_code']}"}
    requests.put(f"{sim}/_sim/profiles", json=profile, timeout=5).raise_for_status()
    verified = requests.post(f"{api}/api/v1/affiliates/{ben}/handles/youtube/verify",
                             headers=_key(demo, "Ben Affiliate"), timeout=10)
    assert (verified.status_code, verified.json()["status"]) == (200, "verified")

    # The campaign pays for views (earnings.md), so the post has earnings to hold.
    card = requests.put(f"{api}/api/v1/campaigns/{demo['campaign_id']}/rate-card",
                        json={"currency": "EUR", "cpm_minor": 2000},
                        headers=_key(demo, "Demo Advertiser"), timeout=5)
    assert card.status_code == 200, card.text

    # Ada submits Ben's video, claiming exactly what the platform shows.
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    truth = {"platform": "youtube", "url": url, "views": 1000, "likes": 50, "comments": 5,
             "author": handle}
    requests.put(f"{sim}/_sim/posts", json=truth, timeout=5).raise_for_status()
    body = {"campaign_id": demo["campaign_id"], "platform": "youtube", "url": url,
            "claimed_views": 1000, "claimed_clicks": 0, "claimed_conversions": 0}
    headers = _key(demo, "Ada Affiliate")
    resp = requests.post(f"{api}/api/v1/submissions", json=body, headers=headers, timeout=10)
    assert resp.status_code == 202, resp.text
    link = api + resp.json()["links"]["report"]

    def checked() -> dict | None:
        report = requests.get(link, headers=headers, timeout=5).json()
        return report if report["reconciliation"]["status"] != "PENDING" and report["alerts"] \
            else None

    report = wait_for(checked, 30, what="the report to be reconciled and checked")
    assert report["reconciliation"]["status"] == "MATCHED"
    flags = {f["name"]: f["severity"] for f in report["suspicion_flags"]}
    assert flags.get("not_owner") == "HIGH"
    assert [(a["type"], a["severity"]) for a in report["alerts"]] == [
        ("SUSPICIOUS_CLAIM", "HIGH")]
    # Its earnings (1,000 views at 20.00 per 1,000) are held, for the flag and the alert.
    held = requests.get(f"{api}/api/v1/earnings/held", headers=_key(demo, "Demo Advertiser"),
                        timeout=5).json()["items"]
    [post] = [h for h in held if h["post_id"] == report["post_id"]]
    assert (post["held_minor"], post["currency"]) == (2000, "EUR")
    assert "flag not_owner" in post["reasons"]
    assert any("SUSPICIOUS_CLAIM" in reason for reason in post["reasons"])


# --- the README's tracked-link tour: link, clicks, postbacks, report (truth.md, Sources) ----

VISITORS, CONVERSIONS = 5, 4
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.{n} Safari/537.36")


def _advertiser(system: dict) -> dict[str, str]:
    return _key(system["demo"], "Demo Advertiser")


def _click(system: dict, code: str, agent: str) -> str | None:
    """Follow the link from the API process as a visitor would; return its rc_click."""
    r = requests.get(f"{system['api']}/r/{code}", headers={"User-Agent": agent},
                     allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    assert r.headers["Location"].startswith("https://shop.example.com/launch-week")
    ids = parse_qs(urlsplit(r.headers["Location"]).query).get("rc_click")
    return ids[0] if ids else None


def _tracked_post(system: dict, claim: tuple[int, int, int]) -> tuple[dict, list[int]]:
    """Make a link; click it from VISITORS browsers (each twice, plus curl and a previewer:
    filtered); post CONVERSIONS sales; submit a post with the link; return its reconciled
    report and the conversion ids."""
    headers = _key(system["demo"], "Ada Affiliate")
    made = requests.post(f"{system['api']}/api/v1/links", headers=headers, timeout=5,
                         json={"campaign_id": system["demo"]["campaign_id"]})
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    # Distinct browsers are distinct visitors (the visitor is address + user agent, and
    # every request here comes from 127.0.0.1); a repeat within 30 min is a duplicate.
    click_ids = [_click(system, code, BROWSER.format(n=n)) for n in range(VISITORS)]
    assert all(click_ids)
    assert _click(system, code, BROWSER.format(n=0)) is not None  # duplicate: still lands
    _click(system, code, "curl/8.5.0")
    _click(system, code, "Slackbot-LinkExpanding 1.1 (+https://api.slack.com/robots)")
    conversions = []
    for n in range(CONVERSIONS):
        posted = requests.post(
            f"{system['api']}/api/v1/postbacks", headers=_advertiser(system), timeout=10,
            json={"click_id": click_ids[n], "event_id": f"{code}-order-{n}",
                  "amount_minor": 4999, "currency": "EUR"})
        assert posted.status_code == 201 and posted.json()["status"] == "counted", posted.text

        conversions.append(int(posted.json()["conversion_id"]))

    def written() -> dict | None:  # the beat-driven writer puts the clicks in PostgreSQL
        stats = requests.get(f"{system['api']}/api/v1/links/{code}/stats", headers=headers,
                             timeout=5).json()
        return stats if stats["clicks"]["counted"] == VISITORS and sum(
            stats["clicks"]["filtered"].values()) == 3 else None

    stats = wait_for(written, 30, what="the workers to write the clicks")
    assert stats["clicks"]["filtered"] == {"duplicate": 1, "bot": 2}
    assert stats["conversions"] == {"counted": CONVERSIONS}

    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    requests.put(f"{system['sim']}/_sim/posts", timeout=5, json={
        "platform": "youtube", "url": url, "views": claim[0], "likes": 70, "comments": 9,
    }).raise_for_status()
    resp = requests.post(f"{system['api']}/api/v1/submissions", headers=headers, timeout=10,
                         json={"campaign_id": system["demo"]["campaign_id"],
                               "platform": "youtube", "url": url, "claimed_views": claim[0],
                               "claimed_clicks": claim[1], "claimed_conversions": claim[2],
                               "link_code": code})
    assert resp.status_code == 202, resp.text
    assert "unverifiable_claim" not in {f["name"] for f in resp.json()["suspicion_flags"]}
    return _settled(system, resp.json()["links"]["report"], headers), conversions


def _settled(system: dict, link: str, headers: dict[str, str],
             attempts: int = 1) -> dict:
    def done() -> dict | None:
        report = requests.get(system["api"] + link, headers=headers, timeout=5).json()
        rec = report["reconciliation"]
        return (report if rec["status"] != "PENDING" and rec["attempt_count"] >= attempts
                else None)

    return dict(wait_for(done, 30, what=f"attempt {attempts} of the report"))


def _by_source(report: dict) -> dict[str, tuple[str, int | None]]:
    metrics = report["reconciliation"]["metrics"]
    return {m: (metrics[m]["source"], metrics[m]["observed"]) for m in metrics}


def test_a_tracked_claim_matches_on_counted_clicks_and_postbacks(system: dict) -> None:
    campaign = requests.get(
        f"{system['api']}/api/v1/campaigns/{system['demo']['campaign_id']}",
        headers=_advertiser(system), timeout=5).json()
    assert (campaign["sources"], campaign["landing_url"]) == (
        {"clicks": "tracked", "conversions": "postback"}, "https://shop.example.com/launch-week")

    report, _ = _tracked_post(system, (1000, VISITORS, CONVERSIONS))

    assert report["reconciliation"]["status"] == "MATCHED", report["reconciliation"]
    assert _by_source(report) == {"views": ("platform", 1000),
                                  "clicks": ("tracked", VISITORS),
                                  "conversions": ("postback", CONVERSIONS)}


def test_claiming_more_clicks_than_were_counted_is_an_overclaim(system: dict) -> None:
    # 12 claimed over 5 counted: +140 %, past the 2-click tolerance and the 50 % bound.
    report, _ = _tracked_post(system, (1000, 12, CONVERSIONS))

    rec = report["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")
    assert rec["metrics"]["clicks"]["source"] == "tracked"
    assert (rec["metrics"]["clicks"]["observed"], rec["metrics"]["clicks"]["pct"]) == (
        VISITORS, pytest.approx((12 - VISITORS) / VISITORS))


def test_reversing_conversions_reconciles_the_report_again(system: dict) -> None:
    headers = _key(system["demo"], "Ada Affiliate")
    report, conversions = _tracked_post(system, (1000, VISITORS, CONVERSIONS))
    assert report["reconciliation"]["status"] == "MATCHED"
    link = f"/api/v1/reports/{report['report_id']}"

    # One refund leaves 3 of 4: inside the 1-conversion tolerance, still MATCHED.
    _reverse(system, conversions[0])
    once = _settled(system, link, headers, attempts=2)
    assert once["reconciliation"]["status"] == "MATCHED"
    assert _by_source(once)["conversions"] == ("postback", CONVERSIONS - 1)

    # A second leaves 2 of 4 claimed: +100 %, an over-claim (domain.md, classification).
    _reverse(system, conversions[1])
    twice = _settled(system, link, headers, attempts=3)
    rec = twice["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")
    assert _by_source(twice)["conversions"] == ("postback", CONVERSIONS - 2)


def _reverse(system: dict, conversion_id: int) -> None:
    r = requests.post(f"{system['api']}/api/v1/postbacks/{conversion_id}/reverse",
                      headers=_advertiser(system), json={"reason": "refunded"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["rerun"] is not None, r.json()


def test_flower_answers(system: dict) -> None:
    wait_for(lambda: requests.get(system["flower"] + "/healthcheck", timeout=2).ok, 60,
             what="flower")


def test_interrupting_up_leaves_no_process_behind(system: dict) -> None:
    proc: Proc = system["proc"]
    children = descendants(proc.popen.pid)
    assert len(children) >= 5  # sim, api (+ its workers), worker (+ pool), beat, flower, redis

    proc.popen.send_signal(signal.SIGINT)
    proc.popen.wait(timeout=60)

    wait_for(lambda: not [p for p in children if process_alive(p)], 30,
             what="every child of reconcile up to exit")
