"""ML renditions: ``{% image photo upscale-4x %}`` gets a correct-size fallback at once and the
model's result replaces it when the worker is done.

* ``filters``    the Wagtail filter operations, derived from the operation registry;
* ``request``    web side: one ``RenditionJob`` row per rendition wanted, one queue request;
* ``model_run``  running a spec's operations through the engine (worker, or SYNC_RENDITIONS);
* ``worker``     the worker's job: render, store, compare-and-swap, purge the cache;
* ``sweeper``    lost/stuck jobs and superseded fallback files;
* ``status``     readiness for template tags and the public status endpoint;
* ``pregenerate`` PREGENERATE_SPECS on upload;
* ``compat``     the Wagtail internals we rely on, in one place.
"""
