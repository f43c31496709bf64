TOKEN=$(python manage.py drf_create_token admin | awk '{print $3}')
H="Authorization: Token $TOKEN"
curl -H "$H" http://127.0.0.1:8000/api/gan/operations/        # specs, 26 styles, limits
curl -H "$H" -H "Content-Type: application/json" -H "Idempotency-Key: 7f3c-1" \
     -d '{"image": 1, "operation": "upscale-4x"}' http://127.0.0.1:8000/api/gan/variants/
# 202 {"id": 12, "status": "queued", "url": "http://127.0.0.1:8000/api/gan/jobs/12/", ...}
curl -H "$H" http://127.0.0.1:8000/api/gan/jobs/12/             # poll status/progress
curl -H "$H" -H "Content-Type: application/json" -d '{"index": 0}' \
     http://127.0.0.1:8000/api/gan/jobs/12/keep/                 # into the library
curl -H "$H" -H "Content-Type: application/json" \
     -d '{"image": 1, "instruction": "paint it like Monet and double the size"}' \
     http://127.0.0.1:8000/api/gan/variants/
curl -H "$H" -H "Content-Type: application/json" \
     -d '{"prompt": "a lighthouse at dawn", "collection": 1, "count": 2}' \
     http://127.0.0.1:8000/api/gan/generate/
curl -H "$H" -X DELETE http://127.0.0.1:8000/api/gan/jobs/13/   # cancel a queued job
