"""The one job engine every job kind uses: what a worker run returns (``outcome``), how
failures are sorted (``failures``), progress and heartbeats (``progress``), worker liveness
(``liveness``), where outputs are stored (``storage``) and which rendition the current worker
thread runs (``context``); and the lifecycle of the ``Job`` kinds (editor/API jobs, video jobs,
model tasks): ``submit`` (create, idempotency, enqueue, cancel), ``runner`` (claim, run,
check-and-swap, failures) and ``sweep`` (dead workers, lost queue messages). It imports no
feature package and not ``tasks``: each kind declares itself in its own package."""
