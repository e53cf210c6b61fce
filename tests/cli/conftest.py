"""What the CLI tests share: running the CLI in-process on a home."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from chatseal.cli.main import cli

Invoke = Callable[..., tuple[int, str, str]]


def invoker(home: Path | str) -> Invoke:
    """Run the CLI on `home` (optionally with stdin); each call returns (exit code, stdout,
    stderr)."""
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = runner.invoke(
            cli, ["--home", str(home), *args], input=stdin, catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr

    return invoke
