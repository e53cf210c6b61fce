"""Redaction throughput and recall: ChatSeal's redactor against plain Presidio, same run.

Scenarios (messages/s over the labelled chat set, tests/redaction/data/pii_chat.jsonl):
- chatseal_fast: ChatSeal's compiled recognizers with cheap pre-filters (the default engine);
- chatseal_presidio: the same recognizers run through Presidio's AnalyzerEngine;
- presidio_plain: AnalyzerEngine + AnonymizerEngine with Presidio's own recognizers for the same
  entity types (offline: no_op NLP engine, tldextract snapshot), plus ChatSeal's name and address
  recognizers for the types Presidio has none of.
Recall and precision per entity type of each go to benchmarks/results/pii_report.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatseal.redaction import Redactor, Span
from chatseal.redaction.evaluate import score
from chatseal.redaction.names import NameRecognizer
from chatseal.redaction.presidio_engine import plain_presidio
from chatseal.redaction.recognizers import default_recognizers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "redaction" / "data"
REPORT = ROOT / "benchmarks" / "results" / "pii_report.json"
TARGET_RATIO = 10.0


def _labelled() -> list[tuple[str, list[Span]]]:
    rows = []
    for line in (DATA / "pii_chat.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        rows.append(
            (record["text"], [Span(s["start"], s["end"], s["type"], 1.0) for s in record["spans"]])
        )
    return rows


def _throughput(redact: Callable[[str], object], texts: list[str], passes: int) -> float:
    for text in texts:  # warm up: lazy metadata (phone regions), caches, branch predictors
        redact(text)
    started = time.perf_counter()
    for _ in range(passes):
        for text in texts:
            redact(text)
    return passes * len(texts) / (time.perf_counter() - started)


def run(quick: bool = False) -> dict[str, Any]:
    """Measure all three engines on the labelled set; return scenarios, ratios and targets."""
    labelled = _labelled()
    texts = [text for text, _ in labelled]
    names = [n.strip() for n in (DATA / "tenant_names.txt").read_text().splitlines() if n.strip()]
    passes = 1 if quick else 5

    fast = Redactor("redact", names=names)
    backed = Redactor("redact", names=names, engine="presidio")
    address = [r for r in default_recognizers() if r.entity_type == "STREET_ADDRESS"]
    analyzer, anonymizer = plain_presidio([NameRecognizer(names), *address])

    def plain_detect(text: str) -> list[Span]:
        results = analyzer.analyze(text=text, language="en")
        return [Span(r.start, r.end, r.entity_type, float(r.score)) for r in results]

    def plain_redact(text: str) -> str:
        results = analyzer.analyze(text=text, language="en")
        return str(anonymizer.anonymize(text=text, analyzer_results=results).text)

    rates = {
        "chatseal_fast": _throughput(fast.redact_text, texts, passes),
        "chatseal_presidio": _throughput(backed.redact_text, texts, max(1, passes // 2)),
        "presidio_plain": _throughput(plain_redact, texts, max(1, passes // 2)),
    }
    quality = {
        "chatseal_fast": score(labelled, fast.detect),
        "chatseal_presidio": score(labelled, backed.detect),
        "presidio_plain": score(labelled, plain_detect),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"messages": len(texts), "engines": quality}, indent=2) + "\n")

    ratio = rates["chatseal_fast"] / rates["presidio_plain"]
    labelled_types = [t for t, row in quality["presidio_plain"].items() if row["labelled"]]
    recall_gap = min(
        (quality["chatseal_fast"][t]["recall"] or 0.0)
        - (quality["presidio_plain"][t]["recall"] or 0.0)
        for t in labelled_types
    )
    return {
        "scenarios": {
            name: {"ops_per_s": rate, "us_per_op": 1e6 / rate} for name, rate in rates.items()
        },
        "ratios": {
            "chatseal_fast_vs_presidio_plain": ratio,
            "chatseal_presidio_vs_presidio_plain": rates["chatseal_presidio"]
            / rates["presidio_plain"],
        },
        "targets": {
            "redaction_throughput_vs_presidio": {
                "value": ratio,
                "target": f">= {TARGET_RATIO:g}x",
                "met": ratio >= TARGET_RATIO,
            },
            "recall_not_below_presidio": {
                "value": recall_gap,
                "target": ">= 0 for every entity type",
                "met": recall_gap >= 0,
            },
        },
        "notes": "Recall on "
        + f"{len(texts)} labelled messages, ChatSeal fast / plain Presidio: "
        + ", ".join(
            f"{t} {quality['chatseal_fast'][t]['recall']:.2f}/"
            f"{quality['presidio_plain'][t]['recall'] or 0:.2f}"
            for t in labelled_types
        )
        + "; per-type precision in benchmarks/results/pii_report.json.",
        "recall": {
            engine: {t: row["recall"] for t, row in report.items() if row["labelled"]}
            for engine, report in quality.items()
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
