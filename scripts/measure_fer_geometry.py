"""Measure where the face sits in FER's 48x48 crops, so live crops can reproduce it.

Runs BlazeFace (short range) on FER+ Test faces, each padded onto a larger grey canvas so the
detector sees a whole face, and reports the median eye geometry as fractions of the crop side:
inter-ocular distance, the eyes' midpoint (x, y), and the spread. These numbers go into the model
metadata (``ModelMeta.alignment``) and drive ``moodtune.vision.align``.

    python scripts/measure_fer_geometry.py [../shared/data/ferplus] [--n 1000]
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from moodtune.datasets import open_ferplus
from moodtune.vision.detection import create_detector

SCALE = 3  # 48 px crop -> 144 px, placed on a 256 px canvas


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default="../shared/data/ferplus")
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    det = create_detector("blazeface", min_face=20)
    test = open_ferplus(args.data, "test")
    side = 48 * SCALE
    canvas_side = 256
    off = (canvas_side - side) // 2
    rows = []
    for images, _ in test.iter_batches(64, 48, np.arange(min(args.n, len(test)))):
        for img in images:
            canvas = np.full((canvas_side, canvas_side), 128, np.uint8)
            canvas[off : off + side, off : off + side] = cv2.resize(
                img, (side, side), interpolation=cv2.INTER_CUBIC
            )
            faces = det.detect(cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB))
            if not faces:
                continue
            kp = (faces[0].keypoints - off) / side  # fractions of the FER crop
            r_eye, l_eye = kp[0], kp[1]
            mid = (r_eye + l_eye) / 2
            rows.append([np.linalg.norm(l_eye - r_eye), mid[0], mid[1], faces[0].box[2] / side])
    a = np.asarray(rows)
    q = np.percentile(a, [25, 50, 75], axis=0)
    names = ["eye_distance", "eye_x", "eye_y", "box_width"]
    out = {
        "faces_measured": len(a),
        "faces_tried": min(args.n, len(test)),
        **{
            n: {"p25": round(q[0, i], 4), "median": round(q[1, i], 4), "p75": round(q[2, i], 4)}
            for i, n in enumerate(names)
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
