"""The optional NER mode loads only a model whose hash is pinned."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy

from chatseal.errors import ConfigError
from chatseal.redaction import Redactor, load_ner, model_digest


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """Build a tiny spaCy pipeline offline (a blank model with an entity ruler) on disk."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Zebulon Quartermaine"}])
    path = tmp_path / "model"
    nlp.to_disk(path)
    return path


def test_wrong_hash_refused(model_dir: Path) -> None:
    """A model whose digest differs from the pin is refused before loading."""
    with pytest.raises(ConfigError, match="does not match"):
        load_ner(model_dir, "0" * 64)
    with pytest.raises(ConfigError):
        load_ner(model_dir, "not-a-hash")


def test_tampered_model_refused(model_dir: Path) -> None:
    """Changing one file of a pinned model makes the pin fail."""
    pin = model_digest(model_dir)
    (model_dir / "meta.json").write_text((model_dir / "meta.json").read_text() + " ")
    with pytest.raises(ConfigError):
        load_ner(model_dir, pin)


def test_symlink_refused(model_dir: Path, tmp_path: Path) -> None:
    """A symbolic link inside the model directory is refused: the pin must cover every byte."""
    (model_dir / "extra").symlink_to(tmp_path)
    with pytest.raises(ConfigError, match="symbolic"):
        model_digest(model_dir)


def test_pinned_model_detects_names(model_dir: Path) -> None:
    """With the right pin the model loads and its PERSON entities are redacted."""
    detector = load_ner(model_dir, model_digest(model_dir).upper())
    text = "please ask zebulon quartermaine? no: Zebulon Quartermaine"
    spans = detector.detect(text, time.monotonic() + 5)
    assert [text[s.start : s.end] for s in spans] == ["Zebulon Quartermaine"]
    result = Redactor("redact", extra=[detector]).redact_text("ask Zebulon Quartermaine")
    assert result.text == "ask <PERSON>"
