"""Worker side of wagtail-gan: model registry, weight sources, runtime and backends.

Only this package may import torch / diffusers / spandrel / onnxruntime at module level, and
only the worker (``manage.py run_huey``) or commands such as ``gan_run`` import those modules.
``registry`` and ``sources`` metadata are torch-free so the web tier can list models.
"""
