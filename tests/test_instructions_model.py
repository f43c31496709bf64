"""The learned intent layer and the corpus it is trained on: the shipped model is the one the
training script makes from today's corpus and vocabularies, every expected spec in the corpus
is a real, canonical spec, and the held-out part does not leak into training."""

from __future__ import annotations

from wagtail_gan import operations
from wagtail_gan.instructions.intent import MODEL_PATH, default_model
from wagtail_gan.instructions.training import (
    CORPUS,
    digest,
    read_corpus,
    training_examples,
)


def test_shipped_model_is_up_to_date():
    model = default_model()
    assert model is not None, f"{MODEL_PATH} is missing"
    assert model.digest == digest(), (
        "The corpus or a vocabulary changed since the model was trained: run "
        "scripts/train_instructions.py")


def test_shipped_model_is_small_and_knows_every_operation_with_a_vocabulary():
    assert MODEL_PATH.stat().st_size < 300 * 1024
    model = default_model()
    named = {op.name for op in operations.all_operations()
             if getattr(op, "vocabulary", None) is not None}
    assert named <= set(model.classes)
    assert {"edit", "vintage"} <= set(model.classes)


def test_corpus_specs_are_canonical():
    examples = read_corpus("train") + read_corpus("test")
    assert len(examples) > 2000
    for e in examples:
        for expected in e.expected:
            steps = operations.parse_steps(expected)
            assert "|".join(step.text for step in steps) == expected, (e.text, expected)


def test_corpus_has_hundreds_of_phrasings_per_operation():
    counts = {}
    for split in ("train", "test"):
        for e in read_corpus(split):
            counts[e.source] = counts.get(e.source, 0) + 1
    for name in ("upscale", "winterize", "stylize", "removebg", "erase", "expand", "restore",
                 "vintage", "edit"):
        assert counts[name] >= 190, (name, counts[name])
    assert counts["multi"] >= 90 and counts["negation"] >= 90


def test_held_out_part_is_not_trained_on():
    held_out = {e.text.lower() for e in read_corpus("test")}
    trained = {e.text.lower() for e in training_examples()}
    assert held_out and not held_out & trained
    assert (CORPUS / "test").is_dir() and not (CORPUS / "all").exists()
