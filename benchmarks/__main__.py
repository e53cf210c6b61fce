"""`python -m benchmarks [--quick] [NAME…]`: run the bench_*.py modules, write
benchmarks/results/latest.json and the tables in BENCHMARKS.md."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
REPORT = ROOT.parent / "BENCHMARKS.md"
BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"


def discover() -> list[str]:
    """Names of the benchmark modules, in a stable order (core first)."""
    names = sorted(p.stem.removeprefix("bench_") for p in ROOT.glob("bench_*.py"))
    return sorted(names, key=lambda n: (n != "core", n))


def table(name: str, result: dict[str, Any]) -> str:
    """One Markdown section for a benchmark's result."""
    when = f" (measured {result['measured']})" if "measured" in result else ""
    lines = [f"### {name}{when}", ""]
    if "error" in result:
        return "\n".join([*lines, f"Failed: `{result['error']}`", ""])
    lines += ["| scenario | ops/s | µs/op |", "|---|---:|---:|"]
    for scenario, figures in result.get("scenarios", {}).items():
        lines.append(f"| {scenario} | {figures['ops_per_s']:,.0f} | {figures['us_per_op']:,.2f} |")
    targets = result.get("targets") or {}
    floors = any("floor" in check for check in targets.values())
    if targets:
        head = "| target | measured | goal | met |" + (" floor |" if floors else "")
        lines += ["", head, "|---|---:|---|---|" + ("---:|" if floors else "")]
        for target, check in targets.items():
            mark = "yes" if check["met"] else "**no**"
            row = f"| {target} | {check['value']:,} | {check['target']} | {mark} |"
            if floors:
                row += f" {check['floor']:,} |" if "floor" in check else " — |"
            lines.append(row)
    if result.get("notes"):
        lines += ["", str(result["notes"])]
    return "\n".join([*lines, ""])


def write_report(results: dict[str, Any]) -> None:
    """Replace the generated part of BENCHMARKS.md, keeping the hand-written text around it."""
    meta = results["meta"]
    body = [
        BEGIN,
        f"Last run {meta['when']} on {meta['machine']} (Python {meta['python']}), "
        f"{'quick' if meta['quick'] else 'full'}; each section says when it was measured; raw "
        "figures in `benchmarks/results/latest.json`.",
        "",
    ]
    body += [table(name, result) for name, result in results["benchmarks"].items()]
    body.append(END)
    text = (
        REPORT.read_text("utf-8")
        if REPORT.exists()
        else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    )
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    REPORT.write_text(head + "\n".join(body) + tail, "utf-8")


def main() -> int:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Smaller runs, for a smoke test.")
    parser.add_argument("names", nargs="*", help="Benchmarks to run (default: all).")
    args = parser.parse_args()
    names = args.names or discover()
    RESULTS.mkdir(parents=True, exist_ok=True)
    latest = RESULTS / "latest.json"
    previous = json.loads(latest.read_text("utf-8")) if latest.exists() else {"benchmarks": {}}
    results: dict[str, Any] = {
        "meta": {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {platform.system()}",
            "python": platform.python_version(),
            "quick": args.quick,
        },
        # Benchmarks not run this time keep their last figures.
        "benchmarks": dict(previous.get("benchmarks", {})),
    }
    failed = False
    for name in names:
        print(f"bench: {name} …", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            results["benchmarks"][name] = {
                **module.run(quick=args.quick),
                "measured": results["meta"]["when"],
            }
        except Exception as exc:  # one failing benchmark must not hide the others
            traceback.print_exc()
            results["benchmarks"][name] = {"error": f"{exc.__class__.__name__}: {exc}"}
            failed = True
        print(json.dumps(results["benchmarks"][name].get("ratios", {}), indent=1), flush=True)
    ordered = {
        n: results["benchmarks"][n]
        for n in sorted(results["benchmarks"], key=lambda n: (n != "core", n))
    }
    results["benchmarks"] = ordered
    latest.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    write_report(results)
    print(f"bench: wrote {latest.relative_to(ROOT.parent)} and {REPORT.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
