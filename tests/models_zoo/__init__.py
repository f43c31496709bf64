"""Tests of the worker side (wagtail_gan/models_zoo), mirroring its modules."""
