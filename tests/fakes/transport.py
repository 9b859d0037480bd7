"""Pointing a real gspread client at the fake: the product's own rebasing adapter."""

from __future__ import annotations

from sheetsync.sheets.google import GOOGLE_ORIGINS, RebaseAdapter
from sheetsync.sheets.google import route_to as route_to_fake

SHEETS_ORIGIN, IAM_CREDENTIALS_ORIGIN = GOOGLE_ORIGINS

__all__ = ["IAM_CREDENTIALS_ORIGIN", "SHEETS_ORIGIN", "RebaseAdapter", "route_to_fake"]
