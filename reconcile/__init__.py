"""reconcile: checks what affiliates claim against what the platforms say."""

__version__ = "0.1.0"
