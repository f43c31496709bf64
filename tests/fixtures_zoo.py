"""Fixtures for the worker side (tiny local models, registry overrides). Loaded by conftest."""
