"""The admin's Models page, behind the scenes: who may manage models (``access``, web tier)
and the install / verify / remove work the worker runs (``worker``, imported by ``tasks``
only: it uses ``models_zoo.install``)."""
