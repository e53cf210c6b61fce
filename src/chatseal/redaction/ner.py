"""Optional NER: a locally installed spaCy pipeline, loaded only when its hash is pinned.

No model ships with ChatSeal and none is ever downloaded. The operator installs one, computes
`model_digest(path)` once, and gives ChatSeal the path and that SHA-256. A model whose bytes
differ from the pin (a swapped or tampered directory) is refused before any of it is loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from chatseal.errors import ConfigError, MissingExtra
from chatseal.redaction.spans import Span, remaining

# spaCy labels that mean a person (OntoNotes: PERSON; WikiNER/CoNLL: PER).
_PERSON_LABELS = frozenset({"PERSON", "PER"})
_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def model_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a model file, or of a directory's sorted `relative-path NUL file-sha256 LF` list.

    Symbolic links are refused: the pin must cover every byte that will be loaded.
    """
    root = Path(path)
    if root.is_symlink():
        raise ConfigError("the NER model path must not be a symbolic link")
    if root.is_file():
        return _file_sha256(root)
    if not root.is_dir():
        raise ConfigError("the NER model path does not exist")
    manifest = hashlib.sha256()
    for entry in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix()):
        if entry.is_symlink():
            raise ConfigError("the NER model directory must not contain symbolic links")
        if entry.is_file():
            relative = entry.relative_to(root).as_posix()
            manifest.update(f"{relative}\x00{_file_sha256(entry)}\n".encode())
    return manifest.hexdigest()


class NerDetector:
    """Person names found by a pinned spaCy pipeline."""

    entity_types = frozenset({"PERSON"})

    def __init__(self, nlp: Any, *, score: float = 0.85) -> None:
        self._nlp = nlp
        self._score = score

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return the pipeline's PERSON entities."""
        remaining(deadline)
        doc = self._nlp(text)
        remaining(deadline)
        return [
            Span(ent.start_char, ent.end_char, "PERSON", self._score)
            for ent in doc.ents
            if ent.label_ in _PERSON_LABELS
        ]


def load_ner(path: str | os.PathLike[str], sha256: str) -> NerDetector:
    """Verify the model at `path` against the pinned `sha256`, then load it with spaCy."""
    pinned = sha256.strip().lower()
    if len(pinned) != 64 or any(c not in "0123456789abcdef" for c in pinned):
        raise ConfigError("the NER model pin must be a 64-digit hex SHA-256")
    if not hmac.compare_digest(model_digest(path), pinned):
        raise ConfigError("the NER model does not match its pinned SHA-256; refusing to load it")
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy comes with presidio-analyzer
        raise MissingExtra("redaction", "NER-based name detection") from exc
    try:
        nlp = spacy.load(Path(path))
    except (OSError, ValueError) as exc:
        raise ConfigError("the NER model could not be loaded as a spaCy pipeline") from exc
    return NerDetector(nlp)
