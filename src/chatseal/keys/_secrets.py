"""Read the secrets a key backend URL points at: an environment variable or a file, never the URL.

Key URLs are shown in configs, logs and `ps`; they may name where a PIN, token or secret id is,
never hold it (HARDENING.md: no token or key in a URL).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

from chatseal.errors import ConfigError


def query_params(query: str, allowed: set[str], secrets: set[str]) -> dict[str, str]:
    """Parse a URL query into single values, refusing secrets in clear and unknown names.

    `secrets` names the parameters that would carry a secret itself (RFC 7512 §2.3 `pin-value`).
    """
    parsed = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    params: dict[str, str] = {}
    for name, values in parsed.items():
        if name in secrets:
            raise ConfigError(
                f"the key URL must not carry '{name}' itself: use '{name}-env' or '{name}-file'"
            )
        if name not in allowed:
            raise ConfigError(f"unknown key URL parameter '{name}'")
        if len(values) != 1:
            raise ConfigError(f"key URL parameter '{name}' is given more than once")
        params[name] = values[0]
    return params


def read_secret(params: dict[str, str], name: str, *, default_env: str | None = None) -> str | None:
    """Return the secret named by `<name>-env` or `<name>-file` (first line, stripped)."""
    env = params.get(f"{name}-env")
    path = params.get(f"{name}-file")
    if env and path:
        raise ConfigError(f"give either '{name}-env' or '{name}-file', not both")
    if path:
        try:
            text = Path(path).read_text("utf-8")
        except OSError:
            raise ConfigError(f"the {name} file cannot be read") from None
        value = text.splitlines()[0].strip() if text.strip() else ""
        if not value:
            raise ConfigError(f"the {name} file is empty")
        return value
    env = env or default_env
    if env:
        value = os.environ.get(env, "").strip()
        if value:
            return value
        if f"{name}-env" in params:
            raise ConfigError(f"the environment variable {env} (the {name}) is not set")
    return None
