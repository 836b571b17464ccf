"""Classification metrics (pure numpy) and the evaluation of a model on a face data set."""

from moodtune.evaluation.metrics import ClassificationReport, classification_report

__all__ = ["ClassificationReport", "classification_report"]
