"""EfficientNet-Lite0 (placeholder module; filled in by the transfer-learning study)."""
