"""The one job engine shared by ML renditions (``renditions``) and editor/API jobs (``jobs``):
what a worker run returns (``outcome``), how failures are sorted (``failures``), progress and
heartbeats (``progress``), where outputs are stored (``storage``) and which job the current
worker thread runs (``context``). It imports neither feature package nor ``tasks``."""
