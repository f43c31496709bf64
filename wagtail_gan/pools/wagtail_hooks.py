"""Wagtail hooks of variant pools: the ``poolslot`` image operation."""

from wagtail import hooks

from .operation import OPERATIONS


@hooks.register("register_image_operations")
def register_pool_operations():
    return OPERATIONS
