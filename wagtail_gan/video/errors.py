"""The video error every layer may import (the web tier too: it needs neither numpy nor PyAV)."""


class VideoError(ValueError):
    """A file that cannot be read as a video, or one this site does not accept."""
