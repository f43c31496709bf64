"""Signals of the model registry (torch-free, importable anywhere).

``model_installed`` is sent by ``install.install`` once a model's files are in place (also
when they already were: a package's files), with ``model_id`` and ``info`` (the install
record). Every install goes through it: the Models page and the API (a ``ModelTask`` run by
the worker) and ``manage.py gan_models install``. ``tasks`` receives it and re-queues the
jobs that were waiting for that model (``work.waiting``).
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: model_id (str), info (dict)
model_installed = Signal()
