# On the worker: run a spec on a file, as `manage.py gan_run` does.
from PIL import Image

from wagtail_gan.models_zoo.engine import run
from wagtail_gan.operations import parse_spec

spec = parse_spec("stylize-7")  # web tier: the grammar, no ML
result = run(spec.model_key, Image.open("in.jpg"), params=spec.params)
result.image.save("out.jpg")
print(result.model_id, result.model_sha256)  # what the provenance records
