"""Editor and API jobs: variants of library images and text-to-image.

The service the admin views and the API call (nothing else touches jobs' state):

* ``validation``  operation/instruction, seed, strength, source and style images;
* ``submit``      ``submit_variant_job`` / ``submit_generate_job`` (no row on refusal),
                  ``enqueue_job``; creating, idempotency and enqueueing are ``work.submit``'s;
* ``review``      ``cancel_job``, ``keep_job``, ``discard_job``;
* ``review_state`` awaiting review, kept or discarded; ``policy``: IMPROVE_ON_UPLOAD proposals;
* ``status``      ``job_status`` (JSON for polling clients);
* ``outputs``     pending outputs under ``gan_pending/``;
* ``worker``      the worker side: what ``work.runner`` runs for a job (called by
                  ``wagtail_gan.tasks`` only); dead workers are ``work.sweep``'s.
"""

from wagtail_gan.exceptions import IdempotencyConflict, JobError, Unavailable

from .outputs import PENDING_DIR, output_url
from .review import cancel_job, discard_job, keep_job
from .status import job_status
from .submit import enqueue_job, submit_generate_job, submit_variant_job
from .validation import MAX_COUNT, MAX_SEED, plan_variant

__all__ = [
    "MAX_COUNT", "MAX_SEED", "PENDING_DIR", "IdempotencyConflict", "JobError", "Unavailable",
    "cancel_job", "discard_job", "enqueue_job", "job_status", "keep_job", "output_url",
    "plan_variant", "submit_generate_job", "submit_variant_job",
]
