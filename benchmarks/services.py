"""The real services some benchmarks use (SoftHSM2, OpenBao), started once per run.

A running one is used when its variables are set (scripts/test.sh exports them); otherwise
scripts/services/NAME.sh starts it in a temporary directory, its variables are exported into this
process, and it is stopped when the process exits. Once per process, not once per benchmark: the
PKCS#11 library reads SOFTHSM2_CONF once, when a benchmark first loads it, so a second SoftHSM in
another directory would be invisible to it.
"""

from __future__ import annotations

import atexit
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_started: set[str] = set()


def ensure_service(name: str, needed: str) -> None:
    """Make sure service `name` runs and its variables (`needed` among them) are set."""
    if os.environ.get(needed) or name in _started:
        return
    work = Path(tempfile.mkdtemp(prefix=f"chatseal-bench-{name}-"))
    script = ROOT / "scripts" / "services" / f"{name}.sh"
    out = subprocess.run(
        ["bash", str(script), "start", str(work)], check=True, capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            os.environ[key] = shlex.split(value)[0] if value else ""
    _started.add(name)
    atexit.register(
        subprocess.run, ["bash", str(script), "stop", str(work)], check=False, capture_output=True
    )
