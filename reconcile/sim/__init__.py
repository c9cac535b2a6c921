"""Simulate the five platform APIs for development and tests.

Every platform is served from one base URL at its real API path (the real paths never
collide), so an adapter's base URL is the simulator in dev and the real host in production.

Routes (real host in brackets; the limit is the most ids one call takes):

- youtube [www.googleapis.com]: `GET /youtube/v3/videos?part=statistics&id=a,b` (50)
- x [api.x.com]: `GET /2/tweets?ids=a,b&tweet.fields=public_metrics,non_public_metrics` (100)
- reddit [oauth.reddit.com]: `GET /api/info?id=t3_a,t3_b` (100; `/api/info.json` too)
- instagram [graph.facebook.com]: `GET /v21.0/?ids=a,b&fields=insights.metric(views,...)`
  (50), and one media: `GET /v21.0/{media-id}/insights?metric=views,...`
- tiktok [open.tiktokapis.com]: `POST /v2/video/query/?fields=id,view_count,...` with body
  `{"filters": {"video_ids": [...]}}` (20)

Views / clicks / conversions come from these fields (the real APIs report no conversions
and few clicks; these are the closest per-post actions they do report):

- youtube: statistics.viewCount / likeCount / commentCount, decimal strings as in the API
- x: public_metrics.impression_count / non_public_metrics.url_link_clicks /
  non_public_metrics.user_profile_clicks
- reddit: data.view_count / data.ups (score mirrors it) / data.num_comments
- instagram: lifetime insights `views` / `profile_visits` / `follows`
- tiktok: view_count / like_count / share_count

Any Graph API version (`v<major>.<minor>`) is accepted; instagram media ids are URL
shortcodes. An id of the wrong shape for its platform is absent from batch answers (how
the real APIs say "not found"); any well-formed id has metrics derived from its sha256
unless `PUT /_sim/posts` set them.

Control routes: `PUT /_sim/posts`, `PUT /_sim/faults`, `GET /_sim/calls`, `POST /_sim/reset`
(see runtime.md). Faults: `count` limits the whole setting (mode and latency) to the next N
calls, after which the platform answers cleanly; `latency_ms` delays every answer it covers;
`timeout` holds the answer for `timeout_hold_seconds` (30 s by default) and then answers
504, but a reset or a new fault for that platform releases held answers at once; invalid
control bodies get 422 `{"error": "invalid_request", "message": ...}`.
"""

from reconcile.sim.app import DEFAULT_TIMEOUT_HOLD_SECONDS, create_sim_app
from reconcile.sim.server import make_sim_server, serve

__all__ = ["DEFAULT_TIMEOUT_HOLD_SECONDS", "create_sim_app", "make_sim_server", "serve"]
