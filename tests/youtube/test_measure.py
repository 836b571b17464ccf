"""The resolver's figures in the fake world (``measure.py``; printed by benchmarks/youtube_bench.py),
asserted loosely so that a change that makes it pick decoys or miss songs fails here."""

from __future__ import annotations

from moodtune.store import Store
from tests.youtube.fake import FakeGoogle
from tests.youtube.measure import measure
from tests.youtube.world import World


def test_the_resolver_finds_most_right_videos_and_never_a_decoy(
    world: World, google: FakeGoogle, store: Store
) -> None:
    figures = measure(world, google, store)
    assert figures["songs"] == 300
    assert figures["precision"] >= 0.97, figures["wrong"]
    assert figures["recall"] >= 0.85, figures["missed"]
    # a search and a fifth of a videos.list per song searched; no_match songs cost the same
    assert figures["quota_per_searched_song"] <= 101
    assert figures["quota_per_resolved_song"] <= 250
    for scenario in ("blocked", "restricted", "deleted", "none", "decoys_only"):
        counts = figures["by_scenario"][scenario]
        assert counts["with_video"] == counts["right"], (scenario, figures["wrong"])
