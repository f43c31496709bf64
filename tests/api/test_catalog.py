"""What the API says is available: the models of the registry with their installed state, and the
operations with their grammar, styles, painters and limits."""

from __future__ import annotations

from tests.api.helpers import API, api_client_for
from tests.utils import gan_override
from wagtail_gan import operations
from wagtail_gan.models_zoo import registry
from wagtail_gan.operations.stylize import NUM_STYLES


def test_models_lists_registry_with_installed_state(api_world, tmp_path):
    weights = tmp_path / "site_sr.safetensors"
    weights.write_bytes(b"not really weights")
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "dropped_x4.pth").write_bytes(b"x")
    with gan_override(MODELS_DIR=str(models_dir), MODELS={
        "site_sr": {"task": "upscale", "path": str(weights), "licence": "MIT", "scale": 2},
    }):
        response = api_client_for(api_world.editor).get(API + "models/")
        expected = {e.id: registry.is_installed(e) for e in registry.entries().values()}
    assert response.status_code == 200
    models = {m["id"]: m for m in response.json()}
    assert {k: m["installed"] for k, m in models.items()} == expected
    assert models["site_sr"]["installed"] is True
    assert models["site_sr"]["licence"] == "MIT" and models["site_sr"]["origin"] == "site"
    assert models["site_sr"]["source"] == f"file:{weights}"
    assert models["dropped_x4"]["origin"] == "dropin" and models["dropped_x4"]["installed"]
    esrgan = models["realesrgan_x4plus"]
    assert esrgan["task"] == "upscale" and esrgan["scale"] == 4
    assert esrgan["sha256"] == (
        "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1")
    assert "BSD" in esrgan["licence"] and esrgan["size"] == 67040989
    # the plain-words summary the Models page shows, beside the technical description
    assert esrgan["summary"].startswith("Makes photos four times as large")
    assert "RRDBNet" in esrgan["description"] and models["site_sr"]["summary"] == ""
    assert any(m["task"] == "stylize" for m in models.values())


def test_operations_lists_grammar_styles_and_limits(api_world):
    with gan_override(MAX_INPUT_PIXELS=1000, API_THROTTLE_RATE="5/min",
                      ENABLED_OPERATIONS=["upscale", "stylize"]):
        body = api_client_for(api_world.editor).get(API + "operations/").json()
    ops = {o["name"]: o for o in body["operations"]}
    assert set(ops) == {"upscale", "winterize", "stylize", "edit", "generate", "removebg",
                        "erase", "expand", "restore", "vintage"}
    assert ops["upscale"]["enabled"] and not ops["winterize"]["enabled"]
    assert "upscale-4x" in ops["upscale"]["specs"]
    assert ops["upscale"]["available"] and ops["stylize"]["available"]  # the dummy backend
    assert ops["edit"]["variant"] and not ops["generate"]["variant"]
    assert len(body["styles"]) == NUM_STYLES == 26
    for style in body["styles"]:
        assert operations.parse_spec(style["spec"]).params == {"styles": [style["index"]]}
    assert body["painters"] == ["monet", "vangogh", "cezanne", "ukiyoe"]
    assert body["limits"]["max_input_pixels"] == 1000
    assert body["limits"]["throttle_rate"] == "5/min"
    assert body["limits"]["max_instruction_length"] == 500
    assert "realesrgan_x4plus" in body["upscale_models"]
