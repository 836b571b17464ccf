"""The resolver measured in the fake world, where the right answer is known (used by
``benchmarks/youtube_bench.py`` and, loosely asserted, by ``test_measure.py``).

A run re-checks the sample's catalog ids and resolves every song left without a playable video,
with quota to spare. Then, per song, the video the web service would play (``play.playable_video``
with the marks and the confirmations the run stored) is compared with the world's truth:

* precision: of the songs that end up with a video, the share whose video is right (the song's
  own recording, playable embedded; ``World.acceptable``);
* recall: of the songs that have a right video somewhere (``World.resolvable``), the share that end
  up with one;
* quota per resolved song: units the run spent / songs it resolved by searching.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from moodtune.music.catalog import Catalog
from moodtune.store import Store
from moodtune.youtube.api import Retry, YouTubeClient
from moodtune.youtube.play import playable_video
from moodtune.youtube.quota import Quota
from moodtune.youtube.resolve import Resolver
from tests.youtube.fake import API_KEY, FakeGoogle
from tests.youtube.world import World


def measure(world: World, google: FakeGoogle, store: Store, quota_limit: int = 1_000_000) -> dict[str, Any]:
    google.quota_limit = quota_limit
    catalog = Catalog(world.songs)
    started = time.perf_counter()
    with YouTubeClient(
        API_KEY, quota=Quota(quota_limit, store), base=google.api_base, retry=Retry(tries=2, base=0.01)
    ) as client:
        summary = Resolver(client, store).run(catalog, recheck=True)
    seconds = time.perf_counter() - started
    unplayable = store.unplayable_videos()
    confirmed = store.confirmed_videos()
    truth = world.resolvable()
    played = {}
    for song in world.songs:
        video = playable_video(song, unplayable, confirmed.get(song.id, ()))
        if video is not None:
            played[song.id] = video
    right = {s for s, v in played.items() if v in world.acceptable(s)}
    wrong = [
        {
            "song": f"{world.song(s).artist} - {world.song(s).title}",
            "video": world.videos[v].title if v in world.videos else v,
            "kind": world.videos[v].kind if v in world.videos else "unknown",
        }
        for s, v in sorted(played.items())
        if s not in right
    ]
    missed = [
        {"song": f"{world.song(s).artist} - {world.song(s).title}", "scenario": world.scenario[s]}
        for s in sorted(truth - set(played))
    ]
    by_scenario: dict[str, Counter[str]] = {}
    for song in world.songs:
        counts = by_scenario.setdefault(world.scenario[song.id], Counter())
        counts["songs"] += 1
        counts["resolvable"] += song.id in truth
        counts["with_video"] += song.id in played
        counts["right"] += song.id in right
    requests = Counter(method for method, _ in google.requests)
    return {
        "songs": len(world.songs),
        "resolvable": len(truth),
        "with_video": len(played),
        "right": len(right),
        "precision": round(len(right) / max(1, len(played)), 4),
        "recall": round(len(right & truth) / max(1, len(truth)), 4),
        "songs_searched": summary.songs_searched,
        "songs_resolved_by_search": summary.songs_resolved,
        "videos_rechecked": summary.videos_checked,
        "marks_set": summary.videos_marked,
        "quota_spent": summary.quota_spent,
        "stopped_on_quota": summary.stopped_on_quota,
        "songs_left": summary.songs_left,
        "quota_per_resolved_song": round(summary.quota_spent / max(1, summary.songs_resolved), 2),
        "quota_per_searched_song": round(summary.quota_spent / max(1, summary.songs_searched), 2),
        "requests": dict(sorted(requests.items())),
        "seconds": round(seconds, 2),
        "by_scenario": {k: dict(v) for k, v in sorted(by_scenario.items())},
        "wrong": wrong[:10],
        "missed": missed[:10],
    }
