"""What a cycle needs from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from sheetsync.lease import LEASE_TTL
from sheetsync.parse import Defaults


@dataclass(frozen=True)
class CycleOptions:
    """What a cycle needs from the settings."""

    zone: tzinfo
    defaults: Defaults = Defaults()
    renames: Mapping[str, str] = field(default_factory=dict)
    number_pattern: str = ""
    lease_ttl: timedelta = LEASE_TTL
    """How long the billing lease lasts unless renewed (a long cycle renews it at half)."""
