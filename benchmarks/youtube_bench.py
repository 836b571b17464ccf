"""The YouTube resolver measured where the right answer is known: the fake world built from the
shipped catalog (``tests/youtube/world.py``: 300 songs, each with official, Topic, cover, live,
karaoke, lyric, part-2 and other-artist uploads as its scenario gives; some with only unembeddable,
private, age-restricted or deleted uploads; some with none) served by the local fake of the Data API
(``tests/youtube/fake.py``, on 127.0.0.1; nothing leaves the machine).

One run re-checks the sample's catalog ids and resolves every song left without a video. Printed as
JSON: precision (songs given a video whose video is right), recall (songs that have a right video
and got one), quota spent per resolved and per searched song, requests by method, and the songs
by scenario, with the first wrong and missed songs.

    python benchmarks/youtube_bench.py [--songs 300] [--seed 6]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.youtube

from tests.youtube.fake import serve
from tests.youtube.measure import measure
from tests.youtube.world import build_world

from moodtune.music.catalog import Catalog
from moodtune.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--songs", type=int, default=300, help="songs sampled from the catalog (its size or more: all of it)"
    )
    parser.add_argument("--seed", type=int, default=6, help="the sample's and the scenarios' seed")
    parser.add_argument(
        "--quota",
        type=int,
        default=1_000_000,
        help="the fake's daily quota in units (the whole catalog needs ~2M)",
    )
    args = parser.parse_args()
    world = build_world(Catalog.load(), n=args.songs, seed=args.seed)
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(world) as google,
        Store(f"sqlite:///{folder}/bench.db") as store,
    ):
        figures = measure(world, google, store, quota_limit=args.quota)
    figures = {"songs_sampled": args.songs, "seed": args.seed, "quota_limit": args.quota, **figures}
    sys.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
