"""Video: 2x/4x frame rate or slow motion of a library video, and short clips from library
images, with generated in-between frames (RIFE 4.6, or the ``blend`` cross-fade offline).

* :mod:`.timing`   which output frame is which, from the frames' timestamps (pure functions);
* :mod:`.avio`     PyAV probe/time/decode/encode (H.264 MP4; AAC audio lined up with the
                   first frame, re-encoded, or slowed down by resampling for slow motion);
* :mod:`.orientation` phone rotation metadata (display matrix) applied to the pixels;
* :mod:`.engines`  where in-betweens come from: ``model`` (registry ``interpolate``) / ``blend``;
* :mod:`.pipeline` the two pipelines (``gan_video``, the worker and the benchmark use them);
* :mod:`.limits`   ``MAX_VIDEO_SECONDS`` / ``MAX_VIDEO_PIXELS`` with one-line refusals;
* :mod:`.submit`, :mod:`.views`, :mod:`.api` (web tier) and :mod:`.worker` (worker): jobs,
  on the one job lifecycle of ``work`` (``work.submit``, ``work.runner``, ``work.sweep``).

Web-tier modules (``validation``, ``submit``, ``views``, ``api``, ``library``) import neither
PyAV nor torch; ``avio``/``orientation``/``pipeline``/``engines``/``worker`` are the worker's.
"""
