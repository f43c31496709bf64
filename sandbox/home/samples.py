"""Sample photos for the sandbox, from scikit-image's bundled data, with their credits (a
web-tier-only install without scikit-image gets drawn stand-ins with the same titles)."""

from PIL import Image, ImageDraw

SAMPLES = [
    {
        "name": "astronaut",
        "title": "Astronaut Eileen Collins",
        "credit": "NASA, public domain (scikit-image data: astronaut)",
    },
    {
        "name": "coffee",
        "title": "Cup of coffee",
        "credit": "Rachel Michetti, CC0 (scikit-image data: coffee)",
    },
    {
        "name": "chelsea",
        "title": "Chelsea the cat",
        "credit": "Stefan van der Walt, CC0 (scikit-image data: chelsea)",
    },
    {
        "name": "rocket",
        "title": "Falcon 9 rocket",
        "credit": "SpaceX, CC0 (scikit-image data: rocket)",
    },
]


def sample_picture(name: str) -> Image.Image:
    """The sample photo ``name`` from scikit-image's data, or, where scikit-image is not
    installed, a drawn 512x384 stand-in (gradients and shapes, so models have structure)."""
    try:
        from skimage import data  # noqa: PLC0415 - optional (test extra): a drawn stand-in without it
    except ImportError:
        seed = sum(map(ord, name))
        width, height = 512, 384
        picture = Image.merge("RGB", (
            Image.linear_gradient("L").rotate(90).resize((width, height)),
            Image.linear_gradient("L").resize((width, height)),
            Image.new("L", (width, height), seed % 200),
        ))
        draw = ImageDraw.Draw(picture)
        for i in range(6):
            x, y = (seed * (i + 3)) % (width - 120), (seed * (i + 7)) % (height - 120)
            draw.ellipse((x, y, x + 60 + 10 * i, y + 60 + 8 * i),
                         fill=((seed * i) % 255, (90 * i) % 255, 255 - (40 * i) % 255))
        return picture
    return Image.fromarray(getattr(data, name)()).convert("RGB")
