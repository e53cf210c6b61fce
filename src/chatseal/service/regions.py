"""Regions and residency: one `ChatSeal` per region, and a router that finds a tenant's region.

A region is a store, a key backend and an audit log (its signing key, salt and external
checkpoints in `audit_dir`). The top-level `[store]` and `[keys]` are the region `default`
(its audit log in the home); more come from the config:

    [regions.eu]
    store = "postgresql://chatseal_worker@eu-db.internal:5432/chatseal"
    keys = "transit://openbao-eu.internal:8200/transit"
    audit_dir = "/var/lib/chatseal/eu"
    allow_moves_to = ["us"]        # the residency policy: where tenants of eu may be moved

`ChatSeal` stays single-region: the router holds one per region and routes by tenant. A tenant
is created in a region and pinned there: its row (the tenant directory of its region) records
`"region"` in its settings, and its rows, keys and events exist only in that region's store, key
backend and log. Moving it is `move_tenant` (chatseal.service.region_move), explicit and audited.

The CLI (`chatseal.cli.common.open_seal_for`) and the HTTP API (`chatseal.api.app`) route every
tenant's data through a router when `has_regions(config)`; with only the default region they use
the one `ChatSeal` directly.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatseal.clock import Clock
from chatseal.config import Config
from chatseal.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    NotInitialised,
    PermissionDenied,
)
from chatseal.model import Tenant
from chatseal.service.access import Authorizer
from chatseal.service.chatseal import ChatSeal
from chatseal.store import open_store

DEFAULT_REGION = "default"
_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


@dataclass(frozen=True)
class Region:
    """One region's parts, from the config."""

    name: str
    store_url: str
    keys_url: str
    audit_dir: Path
    allow_moves_to: tuple[str, ...] = ()


def has_regions(config: Config) -> bool:
    """Whether the config declares a region besides `default` (then data must be routed)."""
    return any(name != DEFAULT_REGION for name in config.section("regions"))


def regions_of(config: Config) -> dict[str, Region]:
    """Read the regions of a config: `default` (the top-level store and keys) and `[regions.*]`."""
    top = config.section("regions")
    default_moves = top.get(DEFAULT_REGION, {}).get("allow_moves_to", ())
    found = {
        DEFAULT_REGION: Region(
            DEFAULT_REGION, config.store_url, config.keys_url, config.home, tuple(default_moves)
        )
    }
    for name, values in top.items():
        if name == DEFAULT_REGION:
            continue
        if not isinstance(values, dict) or not _NAME.fullmatch(name):
            raise InvalidRequest(
                "[regions.NAME]: NAME is a lowercase word, its value a table", param="regions"
            )
        for key in ("store", "keys"):
            if not isinstance(values.get(key), str) or not values[key]:
                raise InvalidRequest(f'[regions.{name}] needs {key} = "URL"', param="regions")
        audit_dir = values.get("audit_dir") or config.home / "regions" / name
        moves = values.get("allow_moves_to", ())
        if not isinstance(moves, list | tuple) or not all(isinstance(m, str) for m in moves):
            raise InvalidRequest(f"[regions.{name}] allow_moves_to is a list of regions")
        found[name] = Region(
            name, values["store"], values["keys"], Path(audit_dir).expanduser(), tuple(moves)
        )
    return found


def open_region(
    config: Config,
    region: Region,
    *,
    clock: Clock | None = None,
    authorizer: Authorizer | None = None,
    check_audit: bool = True,
) -> ChatSeal:
    """Open one region's ChatSeal: its store, key backend and audit log (as `ChatSeal.open`)."""
    settings = config.section("audit")
    if settings.get("enabled", True) and region.name != DEFAULT_REGION:
        # Each region signs its own log, with its own origin, and exports its own checkpoints.
        region.audit_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        origin = str(settings.get("origin") or "")
        settings = {
            **settings,
            "external_dir": str(region.audit_dir / "checkpoints"),
            "origin": f"{origin}/{region.name}" if origin else "",
        }
    return ChatSeal.assemble(
        config,
        store_url=region.store_url,
        keys_url=region.keys_url,
        audit_dir=region.audit_dir,
        audit_settings=settings,
        label=f"region {region.name}",
        clock=clock,
        authorizer=authorizer,
        check_audit=check_audit,
    )


def migrate_regions(config: Config) -> list[tuple[str, int, int]]:
    """Migrate every non-default region's store; (region, version before, version after) each.

    `chatseal init` and `chatseal migrate` do the default region's store themselves.
    """
    done = []
    for region in regions_of(config).values():
        if region.name == DEFAULT_REGION:
            continue
        store = open_store(region.store_url)
        try:
            before, after = store.schema_version(), store.migrate()
        finally:
            store.close()
        done.append((region.name, before, after))
    return done


def initialise_regions(config: Config) -> list[str]:
    """Migrate every non-default region's store; returns what changed, for `chatseal init`."""
    return [
        f"region {name}: store schema v{after}"
        for name, before, after in migrate_regions(config)
        if after != before
    ]


class RegionRouter:
    """Holds one ChatSeal per region (opened on first use) and routes by tenant.

    `default` hands the router an already open ChatSeal of the default region (the server's, or
    the CLI's), so it is not opened twice; the router never closes a ChatSeal it was handed.
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        authorizer: Authorizer | None = None,
        check_audit: bool = True,
        default: ChatSeal | None = None,
    ) -> None:
        self.config = config
        self.regions = regions_of(config)
        self._clock = clock
        self._authorizer = authorizer
        self._check_audit = check_audit
        self._seals: dict[str, ChatSeal] = {}
        self._handed: ChatSeal | None = default
        if default is not None:
            self._seals[DEFAULT_REGION] = default
        self._where: dict[str, str] = {}
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        home: str | os.PathLike[str] | None = None,
        *,
        clock: Clock | None = None,
        authorizer: Authorizer | None = None,
        check_audit: bool = True,
    ) -> RegionRouter:
        """The router of a home's config."""
        config = Config.load(home)
        if not config.home.exists():
            raise NotInitialised(f"no ChatSeal home at {config.home}: run 'chatseal init'")
        return cls(config, clock=clock, authorizer=authorizer, check_audit=check_audit)

    def region(self, name: str) -> Region:
        """Return a configured region."""
        found = self.regions.get(name)
        if found is None:
            raise NotFound(f"no region named '{name}'", param="region")
        return found

    def seal(self, region: str) -> ChatSeal:
        """Return the ChatSeal of a region, opening it on first use."""
        with self._lock:
            seal = self._seals.get(region)
            if seal is None:
                seal = open_region(
                    self.config,
                    self.region(region),
                    clock=self._clock,
                    authorizer=self._authorizer,
                    check_audit=self._check_audit,
                )
                self._seals[region] = seal
            return seal

    def opened(self) -> dict[str, ChatSeal]:
        """The regions opened so far and their ChatSeals (for readiness probes)."""
        with self._lock:
            return dict(self._seals)

    def _pinned(self, region: str, name: str) -> dict[str, Any] | None:
        """The settings of tenant `name` if region `region`'s directory holds it there."""
        with self.seal(region).read() as tx:
            row = tx.get_tenant(name)
        if row is None:
            return None
        settings: dict[str, Any] = json.loads(row.settings)
        return settings

    def region_of(self, name: str) -> str:
        """Return the region a tenant is pinned to (looked up once, then remembered)."""
        with self._lock:
            known = self._where.get(name)
        if known is not None:
            return known
        for region in self.regions:
            settings = self._pinned(region, name)
            if settings is None:
                continue
            if settings.get("moving_to"):
                raise Conflict(f"tenant '{name}' is being moved to another region")
            if settings.get("region", DEFAULT_REGION) != region:
                continue  # a row left behind by an interrupted move: not this region's tenant
            with self._lock:
                self._where[name] = region
            return region
        raise NotFound(f"tenant '{name}' not found", param="tenant")

    def seal_for(self, tenant: str) -> ChatSeal:
        """Return the ChatSeal of the region a tenant is pinned to."""
        return self.seal(self.region_of(tenant))

    def forget(self, tenant: str) -> None:
        """Drop a remembered region (after a move elsewhere)."""
        with self._lock:
            self._where.pop(tenant, None)
            for seal in self._seals.values():
                seal.forget_tenant(tenant)

    def create_tenant(
        self, name: str, region: str = DEFAULT_REGION, *, settings: dict[str, Any] | None = None
    ) -> Tenant:
        """Create a tenant in a region (its store, its key backend, its log) and pin it there."""
        self.region(region)
        for other in self.regions:
            if self._pinned(other, name) is not None:
                raise Conflict("a tenant with this name already exists", param="name")
        tenant = self.seal(region).tenants.create(
            name, settings={**(settings or {}), "region": region}
        )
        with self._lock:
            self._where[name] = region
        return tenant

    def list_tenants(self) -> list[tuple[str, Tenant]]:
        """Every tenant of every region, as (region, tenant), by region then name."""
        out = []
        for region in self.regions:
            for tenant in self.seal(region).tenants.list():
                if tenant.settings.get("region", DEFAULT_REGION) == region:
                    out.append((region, tenant))
        return out

    def check_move(self, source: str, target: str) -> None:
        """Apply the residency policy: a move must be allowed by the source region's config."""
        self.region(target)
        if target == source:
            raise InvalidRequest("the tenant is already in that region", param="to")
        allowed = self.region(source).allow_moves_to
        if target not in allowed and "*" not in allowed:
            raise PermissionDenied(
                f"the residency policy does not allow moves from {source} to {target} "
                f"(set [regions.{source}] allow_moves_to)"
            )

    def move_tenant(self, name: str, target: str, *, reason: str = "operator") -> dict[str, Any]:
        """Move a tenant to another region (see chatseal.service.region_move)."""
        from chatseal.service.region_move import move_tenant

        source = self.region_of(name)
        self.check_move(source, target)
        report = move_tenant(self.seal(source), self.seal(target), name, source, target, reason)
        self.forget(name)
        with self._lock:
            self._where[name] = target
        return report

    def close(self) -> None:
        """Close every region the router opened (not a ChatSeal it was handed)."""
        with self._lock:
            seals, self._seals = list(self._seals.values()), {}
        failures: list[BaseException] = []
        for seal in seals:
            if seal is self._handed:
                continue
            try:
                seal.close()
            except Exception as exc:  # close the others before reporting it
                failures.append(exc)
        if failures:
            raise failures[0]

    def __enter__(self) -> RegionRouter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
