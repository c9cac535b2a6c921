"""X API v2: `GET /2/tweets?ids=a,b&tweet.fields=public_metrics,non_public_metrics` (≤ 100)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from reconcile.platforms.urls import post_id_is_valid
from reconcile.sim.guard import api_call, failure, split_ids, store

bp = Blueprint("sim_x", __name__)

MAX_IDS = 100
PUBLIC = {"views": "impression_count"}
NON_PUBLIC = {
    "views": "impression_count",
    "clicks": "url_link_clicks",
    "conversions": "user_profile_clicks",
}


def _metrics(post_id: str, names: dict[str, str]) -> dict[str, int]:
    truth = store().truth("x", post_id)
    found = {name: truth.get(metric) for metric, name in names.items()}
    return {name: value for name, value in found.items() if value is not None}


def _tweet(post_id: str, fields: list[str]) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": post_id,
        "text": f"Simulated post {post_id}",
        "edit_history_tweet_ids": [post_id],
    }
    if "public_metrics" in fields:
        counts = {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
        }
        tweet["public_metrics"] = counts | _metrics(post_id, PUBLIC)
    if "non_public_metrics" in fields:
        tweet["non_public_metrics"] = _metrics(post_id, NON_PUBLIC)
    return tweet


def _not_found(post_id: str) -> dict[str, str]:
    return {
        "value": post_id,
        "detail": f"Could not find tweet with ids: [{post_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": post_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


@bp.get("/2/tweets")
@api_call("x")
def tweets() -> Any:
    ids = split_ids(request.args.get("ids"))
    if not ids or len(ids) > MAX_IDS:
        return failure("x", 400, "Invalid Request", f"ids must name 1 to {MAX_IDS} posts.")
    fields = split_ids(request.args.get("tweet.fields"))
    body: dict[str, Any] = {}
    data = [_tweet(i, fields) for i in ids if post_id_is_valid("x", i)]
    errors = [_not_found(i) for i in ids if not post_id_is_valid("x", i)]
    # The real API leaves out "data" entirely when nothing was found.
    if data:
        body["data"] = data
    if errors:
        body["errors"] = errors
    return body
