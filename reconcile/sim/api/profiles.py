"""Each platform's public profile look-up, in its real API's shape (where a bio is read).

| platform  | call                                                                   |
|-----------|------------------------------------------------------------------------|
| reddit    | GET /user/{name}/about -> {kind: t2, data: {name, subreddit: {...}}}    |
| instagram | GET /v21.0/me?fields=business_discovery.username(name){...}             |
| tiktok    | POST /v2/research/user/info/ {username} -> {data: {bio_description}}    |
| youtube   | GET /youtube/v3/channels?part=snippet&forHandle=@name -> items[]        |
| x         | GET /2/users/by/username/{name}?user.fields=description                 |
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Blueprint, request

from reconcile.sim.guard import api_call, failure, store
from reconcile.sim.store import Profile

bp = Blueprint("sim_profiles", __name__)

_DISCOVERY = re.compile(r"business_discovery\.username\(([^)]{1,64})\)")


def _find(platform: str, handle: str) -> Profile | None:
    return store().profile(platform, handle)


@bp.get("/user/<name>/about")
@bp.get("/user/<name>/about.json")
@api_call("reddit")
def reddit_about(name: str) -> Any:
    found = _find("reddit", name)
    if found is None:
        return failure("reddit", 404, "Not Found", "Not Found")
    return {"kind": "t2", "data": {
        "name": found.handle, "id": found.handle.casefold(),
        "subreddit": {"display_name": f"u_{found.handle}", "title": found.handle,
                      "public_description": found.bio}}}


@bp.get("/<graph_version:version>/me")
@api_call("instagram")
def instagram_discovery(version: str) -> Any:
    wanted = _DISCOVERY.search(request.args.get("fields") or "")
    found = _find("instagram", wanted.group(1)) if wanted else None
    if found is None:
        # The real API: 400, OAuthException code 110, for a username nobody has.
        error = {"message": "Invalid user id", "type": "OAuthException", "code": 110,
                 "error_subcode": 2207013, "fbtrace_id": "sim"}
        return {"error": error}, 400
    return {"business_discovery": {"username": found.handle, "name": found.handle,
                                   "biography": found.bio, "id": "17841400000000000"},
            "id": "17841400000000001"}


@bp.post("/v2/research/user/info/")
@api_call("tiktok")
def tiktok_user() -> Any:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    found = _find("tiktok", name) if isinstance(name, str) else None
    if found is None:
        return failure("tiktok", 404, "user_not_found", "The user does not exist.")
    return {"data": {"username": found.handle, "display_name": found.handle,
                     "bio_description": found.bio},
            "error": {"code": "ok", "message": "", "log_id": "sim"}}


@bp.get("/youtube/v3/channels")
@api_call("youtube")
def youtube_channels() -> Any:
    handle = request.args.get("forHandle") or ""
    found = _find("youtube", handle)
    items = [] if found is None else [{
        "kind": "youtube#channel", "id": "UC" + found.handle.casefold()[:22],
        "snippet": {"title": found.handle, "description": found.bio,
                    "customUrl": "@" + found.handle.casefold()}}]
    return {"kind": "youtube#channelListResponse", "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}}


@bp.get("/2/users/by/username/<name>")
@api_call("x")
def x_user(name: str) -> Any:
    found = _find("x", name)
    if found is None:
        return {"errors": [{"value": name, "detail": f"Could not find user with username: "
                            f"[{name}].", "title": "Not Found Error",
                            "resource_type": "user", "parameter": "username",
                            "resource_id": name,
                            "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
    user_id = str(int(hashlib.sha256(found.handle.encode()).hexdigest()[:15], 16))
    return {"data": {"id": user_id, "name": found.handle,
                     "username": found.handle, "description": found.bio}}
