"""The command line: a thin twin of `sheetsync.app`. Only this module prints."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sheetsync.app import run_once
from sheetsync.config import load_settings, unknown_variables
from sheetsync.errors import SheetsyncError
from sheetsync.report import CycleReport
from sheetsync.signals import stop_on_signal

STOPPED_AT_ONCE = (
    "sheetsync: stopped at once (second signal); rows not yet sent to Stripe were given back, "
    "a row in flight stays processing and the next run finishes it"
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with help text on every command."""
    parser = argparse.ArgumentParser(
        prog="sheetsync", description="Bill the rows of a Google Sheet through Stripe."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run one cycle: bill drafts, bring statuses up to date")
    run.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    daemon = commands.add_parser("daemon", help="run a cycle every poll interval until stopped")
    demo = commands.add_parser(
        "demo", help="try the whole lifecycle locally: no accounts, no settings"
    )
    demo.add_argument(
        "--dir", type=Path, default=Path.cwd(), help="where to write sheetsync-demo.xlsx"
    )
    for sub in (run, daemon):
        sub.add_argument(
            "--config",
            type=Path,
            default=os.environ.get("SHEETSYNC_CONFIG"),
            help="a TOML settings file (also SHEETSYNC_CONFIG); the environment wins",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sheetsync` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "demo":
        return _demo(args.dir)
    for warning in unknown_variables():
        print(f"sheetsync: warning: {warning}", file=sys.stderr)
    try:
        settings = load_settings(args.config)
        if args.command == "daemon":
            from sheetsync.daemon import run_daemon

            run_daemon(settings)
            return 0
        with stop_on_signal() as stop:
            report = run_once(settings, dry_run=args.dry_run, stop=stop.is_set)
    except SheetsyncError as exc:
        print(f"sheetsync: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(STOPPED_AT_ONCE, file=sys.stderr)
        return 130
    print(json.dumps(report.as_json()) if args.json else summary(report, args.dry_run))
    return 0


def _demo(folder: Path) -> int:
    from sheetsync.demo import run_demo, table

    try:
        result = run_demo(folder, progress=print)
    except SheetsyncError as exc:
        print(f"sheetsync: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(result.rows))
    print()
    print(f"The workbook is {result.path}: open it in LibreOffice or Excel.")
    print("The payment URLs pointed at a Stripe sandbox that has now stopped.")
    print("Next: README.md, 'From the demo to your own sheet'.")
    return 0


def summary(report: CycleReport, dry_run: bool = False) -> str:
    """A few lines for people."""
    head = "Plan (dry run, nothing changed):" if dry_run else "Done:"
    lines = [head] + [f"  {line}" for line in report.actions] if report.actions else []
    lines.append(
        f"{report.rows} rows: {report.created} billed, {report.updated} updated, "
        f"{report.errors} with errors ({report.sheet_requests} sheet and "
        f"{report.stripe_requests} Stripe requests, {report.duration_s:.1f}s)"
    )
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"warning: {note}" for note in report.orphans]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
