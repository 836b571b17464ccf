"""Make the sample face crops shipped in ``src/moodtune/samples/`` from the two public-domain
portraits in ``../shared/data/faces/`` (Haar cascade, square box widened by 10%, grayscale,
96x96). Run once; the crops are committed with their notice."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/faces")
DST = Path(__file__).resolve().parents[1] / "src" / "moodtune" / "samples"


def main() -> None:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    for name in ("astronaut.png", "grace_hopper.jpg"):
        gray = cv2.cvtColor(cv2.imread(str(SRC / name)), cv2.COLOR_BGR2GRAY)
        faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
        x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
        m = int(0.05 * w)
        crop = gray[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
        crop = cv2.resize(crop, (96, 96), interpolation=cv2.INTER_AREA)
        out = DST / (Path(name).stem + ".png")
        cv2.imwrite(str(out), crop)
        print(f"{out}: box {x},{y},{w},{h}")


if __name__ == "__main__":
    main()
