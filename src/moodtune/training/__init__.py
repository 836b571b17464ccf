"""Training (PyTorch; installed with the ``[train]`` extra). Serving never imports this package.

``config`` (the resolved run configuration), ``augment`` (batch augmentation in torch),
``nets`` (architectures, registered by name), ``loop`` (fit with checkpoints and resume),
``export`` (ONNX + metadata, self-checking).
"""
