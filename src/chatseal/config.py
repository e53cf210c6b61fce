"""Configuration: shipped defaults < `chatseal.toml` in the home < `CHATSEAL_<SECTION>_<KEY>`
environment variables < explicit overrides (command-line flags). HARDENING.md, "Operating it".

A few short names are honoured too: `CHATSEAL_HOME`, `CHATSEAL_STORE` (= store.url) and
`CHATSEAL_KEYS` (= keys.url).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatseal.errors import ConfigError

CONFIG_FILE = "chatseal.toml"
DEFAULT_HOME = ".chatseal"

DEFAULTS: dict[str, dict[str, Any]] = {
    "store": {"url": ""},
    "keys": {
        "url": "local:",
        "cache_max_entries": 10_000,
        "cache_ttl_seconds": 300.0,
        "cache_max_uses": 1_000_000,
        "rotation_period": "90d",
    },
    "audit": {
        "enabled": True,
        "origin": "",
        "external_dir": "",
        "checkpoint_every_entries": 1000,
        "checkpoint_every_seconds": 10.0,
        "witness_dirs": [],
        "require_witness": False,
    },
    "api": {
        "max_body_bytes": 4_194_304,
        "max_json_depth": 32,
        "rate_limit_per_second": 50.0,
        "rate_limit_burst": 100.0,
        "threadpool": "auto",
    },
    "auth": {
        "issuer": "chatseal",
        "audience": "chatseal",
        "default_ttl_seconds": 900,
        "max_ttl_seconds": 86_400,
        "leeway_seconds": 30,
    },
    "policy": {"engine": "cedar"},
    "limits": {"max_items_per_request": 20, "max_item_bytes": 1_048_576},
    # Classification tiers (docs/minimisation.md): retention in days (0 = keep), redaction mode
    # (off | redact | mask | pseudonymize), whether content may be exported. Tenants override.
    "tiers": {
        "public": {"retention_days": 730, "redaction": "off", "exportable": True},
        "internal": {"retention_days": 365, "redaction": "off", "exportable": True},
        "confidential": {"retention_days": 180, "redaction": "pseudonymize", "exportable": False},
        "restricted": {"retention_days": 90, "redaction": "redact", "exportable": False},
    },
    "retention": {"sla_hours": 24.0, "batch_size": 500, "interval_seconds": 3600.0},
}
_SHORT_NAMES = {"CHATSEAL_STORE": ("store", "url"), "CHATSEAL_KEYS": ("keys", "url")}


def _coerce(text: str, like: Any) -> Any:
    """Read an environment string as the type of the default it overrides."""
    if isinstance(like, bool):
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


def resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """Return the home: the argument, else `CHATSEAL_HOME`, else `./.chatseal`."""
    chosen = home if home is not None else os.environ.get("CHATSEAL_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser().absolute()


@dataclass(frozen=True)
class Config:
    """The merged configuration of one ChatSeal home."""

    home: Path
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        home: str | os.PathLike[str] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Config:
        """Merge defaults, the home's TOML file, the environment and the overrides."""
        env = os.environ if environ is None else environ
        root = resolve_home(home)
        merged: dict[str, dict[str, Any]] = {
            name: dict(values) for name, values in DEFAULTS.items()
        }
        path = root / CONFIG_FILE
        if path.exists():
            try:
                loaded = tomllib.loads(path.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{path} is not valid TOML: {exc}") from None
            for name, values in loaded.items():
                if not isinstance(values, dict):
                    raise ConfigError(f"{path}: [{name}] must be a table")
                merged.setdefault(name, {}).update(values)
        for variable, value in env.items():
            if variable in _SHORT_NAMES:
                section, key = _SHORT_NAMES[variable]
            elif variable.startswith("CHATSEAL_") and variable.count("_") >= 2:
                section, _, key = variable.removeprefix("CHATSEAL_").lower().partition("_")
                if section not in merged or key not in merged[section]:
                    continue
            else:
                continue
            try:
                merged[section][key] = _coerce(value, merged[section].get(key, ""))
            except ValueError:
                raise ConfigError(f"{variable} has the wrong type") from None
        for name, values in (overrides or {}).items():
            merged.setdefault(name, {}).update({k: v for k, v in values.items() if v is not None})
        if not merged["store"]["url"]:
            merged["store"]["url"] = f"sqlite:///{root / 'chatseal.db'}"
        return cls(home=root, sections=merged)

    def section(self, name: str) -> dict[str, Any]:
        """Return one section (empty if absent)."""
        return dict(self.sections.get(name, {}))

    @property
    def store_url(self) -> str:
        """The store URL."""
        return str(self.sections["store"]["url"])

    @property
    def keys_url(self) -> str:
        """The key backend URL."""
        return str(self.sections["keys"]["url"])
