"""The middle stays pure: no I/O library, no clock, no environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PURE = [
    "model.py",
    "money.py",
    "parse.py",
    "plan.py",
    "claims.py",
    "reconcile.py",
    "numbering.py",
    "headers.py",
    "messages.py",
    "watch.py",
]
FORBIDDEN_IMPORTS = {
    "gspread",
    "stripe",
    "requests",
    "google",
    "os",
    "socket",
    "http",
    "urllib",
    "time",
    "random",
    "secrets",
    "subprocess",
    "apscheduler",
}
FORBIDDEN_CALLS = {"now", "today", "utcnow", "getenv", "time"}


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_io(name: str) -> None:
    tree = ast.parse((Path(__file__).parent.parent / "sheetsync" / name).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN_IMPORTS


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_never_read_the_clock(name: str) -> None:
    tree = ast.parse((Path(__file__).parent.parent / "sheetsync" / name).read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & FORBIDDEN_CALLS
