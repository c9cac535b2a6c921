"""Reddit: `GET /api/info?id=t3_a,t3_b` (up to 100 fullnames) answering a Listing.

Links carry `view_count` (the simulator always serves it; Reddit shows it to a post's
author), `ups` (score mirrors it), `num_comments`, `author`, `created_utc`, `title` and
`selftext`; Reddit has no share or link-click counts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from reconcile.sim.guard import api_call, exists, failure, split_ids, store

bp = Blueprint("sim_reddit", __name__)

MAX_IDS = 100
FIELDS = {"views": "view_count", "likes": "ups", "comments": "num_comments"}


def _link(post_id: str) -> dict[str, Any]:
    truth = store().truth("reddit", post_id)
    title, _, selftext = truth.caption.partition("\n\n")
    data: dict[str, Any] = {
        "id": post_id,
        "name": f"t3_{post_id}",
        "subreddit": "simulated",
        "author": truth.author,
        "title": title,
        "selftext": selftext,
        "permalink": f"/comments/{post_id}/",
        "upvote_ratio": 1.0,
        "created_utc": truth.published_at.timestamp(),
    }
    for metric, name in FIELDS.items():
        value = truth.get(metric)
        if value is not None:
            data[name] = value
    if "ups" in data:
        data["score"] = data["ups"]
    return {"kind": "t3", "data": data}


@bp.get("/api/info")
@bp.get("/api/info.json")
@api_call("reddit")
def info() -> Any:
    names = split_ids(request.args.get("id"))
    if len(names) > MAX_IDS:
        return failure("reddit", 400, "Bad Request", f"At most {MAX_IDS} ids per request.")
    ids = [n[3:] for n in names if n.startswith("t3_") and exists("reddit", n[3:])]
    children = [_link(i) for i in ids]
    listing = {
        "after": None,
        "before": None,
        "dist": len(children),
        "modhash": "",
        "geo_filter": "",
        "children": children,
    }
    return {"kind": "Listing", "data": listing}
