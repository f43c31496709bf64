"""models_zoo tests share 2 CPU cores with others: torch runs one thread (two threads on a
busy core turned 0.07 s calls into 2-7 s)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)
