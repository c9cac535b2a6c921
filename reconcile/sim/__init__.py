"""Simulate the five platform APIs for development and tests.

Every platform is served from one base URL at its real API path (the real paths never
collide), so an adapter's base URL is the simulator in dev and the real host in production.

Routes (real host in brackets; the limit is the most ids one call takes):

- youtube [www.googleapis.com]: `GET /youtube/v3/videos?part=snippet,statistics&id=a,b` (50)
- x [api.x.com]: `GET /2/tweets?ids=a,b&tweet.fields=created_at,author_id,text,public_metrics,
  non_public_metrics&expansions=author_id&user.fields=username` (100)
- reddit [oauth.reddit.com]: `GET /api/info?id=t3_a,t3_b` (100; `/api/info.json` too)
- instagram [graph.facebook.com]: `GET /v21.0/?ids=a,b&fields=username,timestamp,caption,
  like_count,comments_count,insights.metric(views,shares,website_clicks)` (50), and one
  media's insights: `GET /v21.0/{media-id}/insights?metric=views,...`
- tiktok [open.tiktokapis.com]: `POST /v2/video/query/?fields=id,create_time,share_url,
  video_description,view_count,like_count,comment_count,share_count` with body
  `{"filters": {"video_ids": [...]}}` (20)

Each platform serves what its real API has, under its own names (views / likes /
comments / shares / link clicks; author; published time; caption):

- youtube: statistics.viewCount / likeCount / commentCount (decimal strings) / no shares /
  no link clicks; snippet.channelTitle, publishedAt, title + description
- x: impression_count / like_count / reply_count / retweet_count + quote_count /
  non_public_metrics.url_link_clicks; includes.users[].username, created_at, text
- reddit: view_count / ups / num_comments / no shares / no link clicks; author,
  created_utc, title + selftext
- instagram: insight views / like_count / comments_count / insight shares / insight
  website_clicks (an account insight in the real API, served per media here); username,
  timestamp, caption
- tiktok: view_count / like_count / comment_count / share_count / no link clicks; the
  `@handle` in share_url, create_time, video_description

No platform serves clicks or conversions for an advertiser: those come from tracked links
and postbacks (truth.md). `PUT /_sim/posts` still accepts `clicks` and `conversions` from
old callers and ignores them.

Any Graph API version (`v<major>.<minor>`) is accepted; instagram media ids are URL
shortcodes. An id of the wrong shape for its platform is absent from batch answers (how
the real APIs say "not found"); any well-formed id has metrics derived from its sha256
unless `PUT /_sim/posts` set them. `PUT /_sim/posts` with `"removed": true` takes a post
down: every API then answers for it as for an unknown id (a takedown, docs/fraud.md).

Profiles (`PUT /_sim/profiles {platform, handle, bio}`) are served in each real API's
shape (`reconcile.sim.api.profiles`): an unknown handle answers as that API does.

Control routes: `PUT /_sim/posts`, `PUT /_sim/profiles`, `PUT /_sim/faults`,
`GET /_sim/calls`, `POST /_sim/reset` (see runtime.md). Faults: `count` limits the whole
setting (mode and latency) to the next N calls, after which the platform answers cleanly;
`latency_ms` delays every answer it covers; `timeout` holds the answer for
`timeout_hold_seconds` (30 s by default) and then answers 504, but a reset or a new fault
for that platform releases held answers at once; invalid control bodies get 422
`{"error": "invalid_request", "message": ...}`.
"""

from reconcile.sim.app import DEFAULT_TIMEOUT_HOLD_SECONDS, create_sim_app
from reconcile.sim.server import make_sim_server, serve

__all__ = ["DEFAULT_TIMEOUT_HOLD_SECONDS", "create_sim_app", "make_sim_server", "serve"]
