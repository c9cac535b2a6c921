"""The velocity baseline's read (readings.baseline_rates): for each post of a batch, the
kept rates of the same affiliate's earlier posts on the same platform, and nothing else,
on PostgreSQL (arrays per affiliate and platform) as on SQLite (a row per post)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post
from reconcile.services.reconciliation.readings import baseline_rates

PLATFORMS = ("youtube", "tiktok")
RATE = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(PLATFORMS), RATE),
                min_size=1, max_size=25),
       st.data())
def test_each_post_sees_the_rates_of_its_affiliate_s_earlier_posts_on_the_platform(
        world: Any, made: list[tuple[int, str, float | None]], data: Any) -> None:
    affiliates = [world.new_affiliate()["id"] for _ in range(3)]
    with unit_of_work() as uow:
        rows = [Post(affiliate_id=affiliates[a], campaign_id=world.campaign_id,
                     platform=platform, url=f"https://x/{uuid.uuid4().hex}",
                     normalized_url=f"https://x/{uuid.uuid4().hex}", platform_post_id="p",
                     views_per_hour=rate) for a, platform, rate in made]
        uow.session.add_all(rows)
        uow.session.flush()
        posts = [(p.id, p.affiliate_id, p.platform) for p in rows]
    batch = data.draw(st.lists(st.sampled_from(posts), min_size=1, max_size=10, unique=True))
    with unit_of_work() as uow:
        found = baseline_rates(uow.session, batch)
    rate_of = {p.id: p.views_per_hour for p in rows}
    expected = {post: [rate_of[other] for other, a, pl in posts
                       if (a, pl) == (affiliate, platform) and other < post
                       and rate_of[other] is not None]
                for post, affiliate, platform in batch}
    assert found == expected
