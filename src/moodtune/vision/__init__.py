"""Face -> emotion serving layer (onnxruntime; never imports torch)."""

from moodtune.vision.classifier import EmotionClassifier, EmotionReading, default_model_path
from moodtune.vision.model_meta import ModelMeta

__all__ = ["EmotionClassifier", "EmotionReading", "ModelMeta", "default_model_path"]
