"""Pointing a real gspread client at the fake: the product's own rebasing adapter."""

from __future__ import annotations

from sheetsync.sheets.google import RebaseAdapter
from sheetsync.sheets.google import route_to as route_to_fake

__all__ = ["RebaseAdapter", "route_to_fake"]
