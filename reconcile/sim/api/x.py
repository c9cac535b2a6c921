"""X API v2: `GET /2/tweets?ids=a,b&tweet.fields=...&expansions=author_id` (≤ 100).

`public_metrics` carries impressions, likes, replies, retweets, quotes and bookmarks;
`non_public_metrics` (the author's own token) impressions, `url_link_clicks` and
`user_profile_clicks`; `expansions=author_id` adds the author under `includes.users`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, request

from reconcile.sim.guard import api_call, exists, failure, split_ids, store
from reconcile.sim.store import Truth

bp = Blueprint("sim_x", __name__)

MAX_IDS = 100


def _user_id(username: str) -> str:
    return str(int(hashlib.sha256(username.encode()).hexdigest()[:15], 16))


def _present(counts: dict[str, int | None]) -> dict[str, int]:
    return {name: value for name, value in counts.items() if value is not None}


def _tweet(post_id: str, truth: Truth, fields: list[str]) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": post_id,
        "text": truth.caption,
        "edit_history_tweet_ids": [post_id],
    }
    if "created_at" in fields:
        tweet["created_at"] = truth.published_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "author_id" in fields:
        tweet["author_id"] = _user_id(truth.author)
    if "public_metrics" in fields:
        # The simulator's shares are all retweets: X's shares are retweets plus quotes.
        tweet["public_metrics"] = _present({
            "retweet_count": truth.shares, "reply_count": truth.comments,
            "like_count": truth.likes, "quote_count": 0 if truth.shares is not None else None,
            "bookmark_count": 0, "impression_count": truth.views,
        })  # fmt: skip
    if "non_public_metrics" in fields:
        tweet["non_public_metrics"] = _present({
            "impression_count": truth.views, "url_link_clicks": truth.link_clicks,
            "user_profile_clicks": 0,
        })  # fmt: skip
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
    expand = "author_id" in split_ids(request.args.get("expansions"))
    truths = {i: store().truth("x", i) for i in ids if exists("x", i)}
    body: dict[str, Any] = {}
    data = [_tweet(i, t, fields + (["author_id"] if expand else [])) for i, t in truths.items()]
    errors = [_not_found(i) for i in ids if not exists("x", i)]
    # The real API leaves out "data" entirely when nothing was found.
    if data:
        body["data"] = data
        if expand:
            users = {t.author: {"id": _user_id(t.author), "name": t.author,
                                "username": t.author} for t in truths.values()}
            body["includes"] = {"users": list(users.values())}
    if errors:
        body["errors"] = errors
    return body
