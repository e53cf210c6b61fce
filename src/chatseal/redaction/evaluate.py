"""Recall and precision of a detector on labelled text, per entity type.

A labelled span counts as found when spans of its type cover at least 90% of its characters
(so "Anna Kowalski" found as "Anna Kowalski" or split in two both count; "Anna" alone does not).
A reported span counts as correct when it overlaps a labelled span of its type. `any_type`
recall counts a labelled span found when spans of any type cover it: what matters for
redaction is that the characters are hidden, whatever the label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from chatseal.redaction.spans import Span

COVERAGE = 0.9


def _covered(gold: Span, spans: Iterable[Span]) -> float:
    chars: set[int] = set()
    for s in spans:
        chars.update(range(max(s.start, gold.start), min(s.end, gold.end)))
    return len(chars) / max(1, gold.end - gold.start)


def score(
    examples: Iterable[tuple[str, list[Span]]], predict: Callable[[str], list[Span]]
) -> dict[str, dict[str, Any]]:
    """Return `{entity_type: {labelled, found, recall, any_type_recall, reported, correct,
    precision}}` over `examples` of (text, labelled spans)."""
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for text, gold in examples:
        predicted = predict(text)
        for g in gold:
            same = [p for p in predicted if p.entity_type == g.entity_type]
            row = tally[g.entity_type]
            row["labelled"] += 1
            row["found"] += _covered(g, same) >= COVERAGE
            row["any_type_found"] += _covered(g, predicted) >= COVERAGE
        for p in predicted:
            row = tally[p.entity_type]
            row["reported"] += 1
            row["correct"] += any(
                g.entity_type == p.entity_type and g.start < p.end and p.start < g.end for g in gold
            )
    report: dict[str, dict[str, Any]] = {}
    for entity, row in sorted(tally.items()):
        report[entity] = {
            "labelled": row["labelled"],
            "found": row["found"],
            "recall": row["found"] / row["labelled"] if row["labelled"] else None,
            "any_type_recall": row["any_type_found"] / row["labelled"] if row["labelled"] else None,
            "reported": row["reported"],
            "correct": row["correct"],
            "precision": row["correct"] / row["reported"] if row["reported"] else None,
        }
    return report
