"""The page's reading logic, run in the browser on made-up frames: smoothing, the steady state,
the face that drives the playlist, and the offer to re-plan after a lasting change of mood."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def run(visit, script: str):
    page = visit().open()
    return page.evaluate(
        "async () => { const m = await import('/static/mood.js');"
        + " const x = await import('/static/export.js');"
        + script
        + "}"
    )


FACE = """
const face = (neg, neu, pos, box = [0, 0, 10, 10]) => ({
  box, mood_probabilities: {negative: neg, neutral: neu, positive: pos},
  probabilities: {neutral: neu, happiness: pos, surprise: 0, sadness: neg,
                  anger: 0, disgust: 0, fear: 0, contempt: 0},
  valence: pos - neg, arousal: 0.1,
});
"""


def test_smoothing_and_the_steady_state(visit) -> None:
    out = run(
        visit,
        FACE
        + """
        const s = new m.Smoother();
        const log = [];
        s.update(face(0, 0, 1), 0);           // the first frame is taken as it is
        log.push([s.value.moods.positive, s.steady]);
        s.update(face(0, 1, 0), 300);         // one odd frame moves the average by alpha only
        log.push([Math.round(s.value.moods.positive * 100) / 100, s.steady]);
        for (let t = 600; t <= 2400; t += 300) s.update(face(0, 0, 1), t);
        log.push([s.top, s.steady]);          // calm again, but not yet for 2 s
        for (let t = 2700; t <= 4800; t += 300) s.update(face(0, 0, 1), t);
        log.push([s.top, s.steady]);
        return log;
        """,
    )
    assert out[0] == [1, False]
    assert out[1] == [0.7, False]
    assert out[2] == ["positive", False]
    assert out[3] == ["positive", True]


def test_the_largest_face_drives_unless_another_is_chosen_and_then_it_is_followed(visit) -> None:
    out = run(
        visit,
        FACE
        + """
        const small = face(1, 0, 0, [0, 0, 20, 20]), large = face(0, 0, 1, [100, 0, 60, 60]);
        const chosen = m.boxCenter(small.box);
        const moved = face(1, 0, 0, [6, 4, 20, 20]);
        return [
          m.pickFace([small, large]),
          m.pickFace([small, large], chosen),
          m.pickFace([large, moved], chosen),      // it moved a little: still that face
          m.faceAt([small, large], 10, 10),
          m.faceAt([small, large], 130, 30),
          m.faceAt([small, large], 60, 90),
          m.pickFace([]),
        ];
        """,
    )
    assert out == [1, 0, 1, 0, 1, -1, -1]


def test_a_lasting_change_of_mood_while_playing_offers_a_replan_once(visit) -> None:
    out = run(
        visit,
        """
        const w = new m.MoodChangeWatcher(10000);
        w.plan('neutral');
        const seen = [];
        seen.push(w.check('positive', true, false, 0));      // not playing: no offer
        seen.push(w.check('positive', true, true, 1000));    // starts the clock
        seen.push(w.check('positive', true, true, 9000));
        seen.push(w.check('positive', true, true, 11000));   // 10 s on another mood: offer
        seen.push(w.check('positive', true, true, 12000));   // once
        w.plan('positive');
        seen.push(w.check('positive', true, true, 30000));
        seen.push(w.check('negative', true, true, 31000));
        seen.push(w.check('positive', true, true, 32000));   // back: the clock stops
        seen.push(w.check('negative', true, true, 33000));
        seen.push(w.check('negative', true, true, 40000));
        return seen;
        """,
    )
    assert out == [None, None, None, "positive", None, None, None, None, None, None]


def test_share_fragments_keep_only_song_ids(visit) -> None:
    out = run(
        visit,
        """
        return [x.idsFromHash('#playlist=s_a,s_b%2Cx,,<b>,s_c'), x.idsFromHash('#other'), x.idsFromHash('')];
        """,
    )
    assert out == [["s_a", "s_c"], None, None]


def test_when_a_spotify_track_has_ended_and_when_it_is_a_preview(visit) -> None:
    page = visit().open()
    out = page.evaluate(
        """async () => {
        const p = await import('/static/player.js');
        const at = (position, isPaused, duration = 200000) =>
          ({position, isPaused, duration, isBuffering: false});
        return {
          ended: [
            p.spotifyEnded(true, at(199000, false), at(200000, true)),   // stopped on its last position
            p.spotifyEnded(true, at(199400, false), at(0, true)),        // jumped back to the start
            p.spotifyEnded(true, at(50000, false), at(199000, true)),    // paused in its last second
            p.spotifyEnded(true, at(50000, false), at(60000, true)),     // paused by the listener
            p.spotifyEnded(true, at(50000, false), at(0, true)),         // back to 0 far from the end
            p.spotifyEnded(false, null, at(200000, true)),               // never heard: a stale update
            p.spotifyEnded(true, at(1000, false), at(0, true, 0)),       // nothing loaded
          ],
          preview: [
            p.isPreview(at(1000, false, 30000), {}),                     // 30 s: a preview
            p.isPreview(at(1000, false, 215000), {}),                    // the whole song
            p.isPreview(at(1000, false, 29000), {duration_ms: 29000}),   // a song that short
            p.isPreview(at(0, true, 0), {}),                             // not loaded yet
          ],
          uri: [p.spotifyUri({play: {kind: "spotify", uri: "spotify:track:x"}}),
                p.spotifyUri({spotify_id: "y", play: {kind: "youtube"}}), p.spotifyUri({play: {}})],
        };
        }"""
    )
    assert out["ended"] == [True, True, True, False, False, False, False]
    assert out["preview"] == [True, False, False, False]
    assert out["uri"] == ["spotify:track:x", "spotify:track:y", None]
