"""Face data set readers (numpy and OpenCV only, shared by training and evaluation).

A data set is opened from a spec string, ``KIND:DIR``:

- ``ferplus:DIR`` - FER+ in Microsoft's layout (``DIR/FER2013{Train,Valid,Test}/label.csv``);
- ``fer2013:DIR`` - the same images with their original FER2013 7-class labels
  (``DIR/fer2013_labels.csv``);
- ``folder:DIR`` - ``DIR/<class>/*.{png,jpg,jpeg,webp,bmp}``, classes named by emotions or moods.

Only file names and labels are held in memory; pixels are read from disk batch by batch, so memory
stays flat as a data set grows.
"""

from moodtune.datasets.base import FaceDataset, Split
from moodtune.datasets.fer2013 import open_fer2013
from moodtune.datasets.ferplus import open_ferplus
from moodtune.datasets.folder import open_folder
from moodtune.datasets.spec import open_dataset

__all__ = [
    "FaceDataset",
    "Split",
    "open_dataset",
    "open_fer2013",
    "open_ferplus",
    "open_folder",
]
