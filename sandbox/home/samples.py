"""Sample photos for the sandbox, from scikit-image's bundled data, with their credits."""

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
