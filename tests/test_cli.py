"""The command line: plain output, JSON, dry runs, exit codes, no secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sheetsync
from sheetsync.cli import build_parser, main
from tests.conftest import STRIPE_KEY, World

ROW = {
    "Status": "draft",
    "Customer Email": "ann@example.com",
    "Description": "Work",
    "Unit Price": "40.00",
}


@pytest.fixture
def env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    world.make_sheet([ROW, {**ROW, "Unit Price": "x"}])
    monkeypatch.setenv("XDG_STATE_HOME", str(world.key_file.parent / "state"))  # the locks
    for name, value in {
        "SHEETSYNC_SPREADSHEET": world.spreadsheet_id,
        "SHEETSYNC_SERVICE_ACCOUNT_FILE": str(world.key_file),
        "SHEETSYNC_SHEETS_API_BASE": world.sheets.base_url,
        "SHEETSYNC_STRIPE_API_KEY": STRIPE_KEY,
        "SHEETSYNC_STRIPE_API_BASE": world.stripe.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    return world


def test_every_command_has_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    for name, sub in commands.choices.items():  # type: ignore[union-attr]
        assert sub.description or any(c.dest == name and c.help for c in commands._choices_actions)
        for action in sub._actions:
            assert action.help, f"{name} {action.dest} has no help"


def test_run_prints_a_summary(env: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "2 rows: 1 billed, 1 updated, 1 with errors" in out


def test_run_json_prints_one_object(env: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {
        "rows",
        "created",
        "updated",
        "unchanged",
        "errors",
        "sheet_requests",
        "stripe_requests",
        "duration_s",
    } <= set(report)
    assert (report["rows"], report["created"], report["errors"]) == (2, 1, 1)
    # read, lease, read afresh, claim, read the claim back, read, write, lease given back
    assert report["sheet_requests"] == 8
    assert report["stripe_requests"] == env.stripe.count()


def test_dry_run_changes_nothing_and_prints_the_plan(
    env: World, capsys: pytest.CaptureFixture[str]
) -> None:
    before = env.grid()
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "row 2: bill 40.00 USD to ann@example.com" in out
    assert 'row 3: Status → error, Error → Unit Price "x" is not a number' in out
    assert env.grid() == before
    assert env.sheets.count("write") == 0
    assert env.stripe.count(method="POST") == 0 and env.invoices() == []


def test_a_missing_setting_is_one_line_and_exit_1(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SHEETSYNC_SPREADSHEET")
    assert main(["run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "SHEETSYNC_SPREADSHEET is not set" in err


def test_an_unknown_worksheet_is_explained(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHEETSYNC_WORKSHEET", "Facturas")
    assert main(["run"]) == 1
    assert "no worksheet named 'Facturas'" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--bogus"])
    assert exit_info.value.code == 2


def test_the_stripe_key_never_appears_in_output_logs_or_sheet(
    env: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    main(["-v", "run", "--json"])
    main(["run", "--dry-run"])
    env.stripe.fail_next(r"/v1/invoices", status=401, times=10, method="GET")
    main(["run"])
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text + repr(env.grid())
    assert "Stripe refused the API key" in captured.err
    assert STRIPE_KEY not in everything
    assert STRIPE_KEY[8:] not in everything
    private_key = json.loads(env.key_file.read_text())["private_key"]
    body = "".join(private_key.splitlines()[1:-1])
    assert body[:40] not in everything.replace("\n", "")


def test_a_restricted_key_is_enough(env: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETSYNC_STRIPE_API_KEY", "rk_test_restrictedKEY123456789")
    assert main(["run"]) == 0
    assert len(env.invoices()) == 1


def test_a_key_pasted_with_its_newline_still_works(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHEETSYNC_STRIPE_API_KEY", f"{STRIPE_KEY}\n")
    assert main(["run"]) == 0, capsys.readouterr().err
    assert len(env.invoices()) == 1


def test_a_key_with_a_space_inside_is_one_line_naming_the_variable(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHEETSYNC_STRIPE_API_KEY", f"{STRIPE_KEY[:14]} {STRIPE_KEY[14:]}")
    assert main(["run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "SHEETSYNC_STRIPE_API_KEY contains a space" in err
    assert STRIPE_KEY[14:] not in err and STRIPE_KEY[:14] not in err
    assert env.stripe.count() == 0


def test_an_unknown_variable_is_a_one_line_warning(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHEETSYNC_WORKSHET", "Bills")
    assert main(["run"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "sheetsync: warning: SHEETSYNC_WORKSHET is not a sheetsync setting and is ignored: "
        'did you mean "SHEETSYNC_WORKSHEET"?\n'
    )


def test_nothing_tells_people_to_run_a_command_that_does_not_exist() -> None:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(action.choices or ())
    package = Path(sheetsync.__file__).parent
    mentioned = re.compile(r"(?:`|\brun |python -m )sheetsync ([a-z][a-z-]*)")
    unknown = {
        f"{path.relative_to(package)}: sheetsync {name}"
        for path in package.rglob("*.py")
        if path.name != "parse.py"  # its `sheetsync init` is being fixed on another branch
        for name in mentioned.findall(path.read_text(encoding="utf-8"))
        if name not in commands
    }
    assert unknown == set()


def test_a_lock_folder_that_cannot_be_made_is_one_line(
    env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = env.key_file.parent / "state"
    state.write_text("a file where the lock folder should go")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sheetsync: cannot make the lock folder")
    assert f"{state} is a file, not a folder" in err and "SHEETSYNC_LOCK_DIR" in err
    assert env.invoices() == []
