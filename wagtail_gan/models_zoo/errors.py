"""Engine errors: each carries a clear one-line message that can be shown to users."""

from __future__ import annotations


class EngineError(Exception):
    """A model run that cannot be done; ``str(exc)`` is a one-line message for users."""


class ModelNotInstalled(EngineError):
    """The model's weights are not installed (the message says how to install them).
    ``model_id`` is the registry id of the missing model (the engine fills it in when a
    backend did not): a job that fails only with this waits for that model
    (``work.waiting``)."""

    def __init__(self, message: str = "", model_id: str = ""):
        super().__init__(message)
        self.model_id = model_id


class LimitExceeded(EngineError):
    """Input or output larger than WAGTAIL_GAN['MAX_INPUT_PIXELS'] / ['MAX_OUTPUT_PIXELS']."""


class SourceError(EngineError):
    """A download, conversion or install that failed; nothing was installed."""


class HashMismatch(SourceError):
    """Downloaded bytes whose sha256 is not the published (or first-use) one."""
