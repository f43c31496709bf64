"""Worker side of wagtail-gan: model registry, weight installs, runtime and backends.

    registry.py, errors.py   torch-free; the only modules the web tier imports (it asks
                             ``registry.is_available(key)``; ``builtin.py`` is its data)
    engine.py                ``run(model_key, image, ...)`` and ``generate_images(prompt, ...)``
    backends/                one backend per model family (sr, cyclegan, style, diffusion,
                             dummy), chosen by ``ModelEntry.family``
    runtime.py, tiling.py    device, threads, model cache, colour modes, limits; tiles
    install/                 downloads, Hugging Face snapshots, ncnn conversion (gan_models)
    hashing.py               the sha256 of weight files and folders

Only the worker (``manage.py run_huey``) and commands such as ``gan_run`` import torch,
diffusers, spandrel or onnxruntime, and only when a backend runs.
"""
