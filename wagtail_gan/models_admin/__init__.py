"""The admin's Models page, behind the scenes: who may manage models (``access``) and the
requests the page and the API make (``service``: validate, then ``work.submit`` queues a
``ModelTask``) - web tier; the install / verify / remove work the worker runs (``worker``: its
``JobKind`` for ``work.runner``, imported by ``tasks`` only: it uses ``models_zoo.install``)."""
