"""wagtail-gan: self-hosted generative image AI for the Wagtail image library."""

__version__ = "0.1.0.dev0"
