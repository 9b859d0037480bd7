"""Settings: environment, .env and TOML, the environment winning; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import Settings, load_settings, unknown_variables
from sheetsync.errors import ConfigError

KEY = "sk_test_configTESTKEY987654321"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SHEETSYNC_") or name in (
            "STRIPE_API_KEY",
            "STRIPE_SECRET_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_environment_wins_over_the_toml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sheetsync.toml"
    config.write_text(
        'spreadsheet = "from-file"\nworksheet = "Bills"\ntimezone = "Asia/Tokyo"\n'
        'payment_terms_days = 14\n[columns]\nunit_price = "Rate"\n'
    )
    monkeypatch.setenv("SHEETSYNC_SPREADSHEET", "from-env")
    monkeypatch.setenv("STRIPE_SECRET_KEY", KEY)
    settings = load_settings(config)
    assert settings.spreadsheet == "from-env"
    assert (settings.worksheet, settings.timezone, settings.payment_terms_days) == (
        "Bills",
        "Asia/Tokyo",
        14,
    )
    assert settings.columns == {"unit_price": "Rate"}
    assert settings.stripe_api_key.get_secret_value() == KEY


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"SHEETSYNC_SPREADSHEET=abc\nSTRIPE_API_KEY={KEY}\nSHEETSYNC_SEND_INVOICES=true\n"
    )
    settings = load_settings()
    assert settings.spreadsheet == "abc" and settings.send_invoices is True


def test_a_spreadsheet_url_becomes_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETSYNC_STRIPE_API_KEY", KEY)
    url = "https://docs.google.com/spreadsheets/d/1AbC_d-9/edit#gid=0"
    assert load_settings(spreadsheet=url).spreadsheet == "1AbC_d-9"


def test_google_application_credentials_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json")
    settings = load_settings(spreadsheet="x", stripe_api_key=KEY)
    assert settings.service_account_file == Path("/keys/sa.json")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"stripe_api_key": KEY}, "SHEETSYNC_SPREADSHEET is not set"),
        ({"spreadsheet": "x"}, "SHEETSYNC_STRIPE_API_KEY is not set"),
        (
            {"spreadsheet": "x", "stripe_api_key": "pk_test_abc"},
            "SHEETSYNC_STRIPE_API_KEY does not look like a Stripe secret",
        ),
        (
            {"spreadsheet": "x", "stripe_api_key": KEY, "timezone": "Mars/Olympus"},
            "SHEETSYNC_TIMEZONE 'Mars/Olympus' is not a time zone",
        ),
        (
            {"spreadsheet": "x", "stripe_api_key": KEY, "default_currency": "ABC"},
            "SHEETSYNC_DEFAULT_CURRENCY",
        ),
        (
            {"spreadsheet": "x", "stripe_api_key": KEY, "default_mode": "fax"},
            "SHEETSYNC_DEFAULT_MODE",
        ),
        (
            {"spreadsheet": "x", "stripe_api_key": KEY, "payment_terms_days": -1},
            "SHEETSYNC_PAYMENT_TERMS_DAYS",
        ),
    ],
)
def test_bad_settings_are_one_line_naming_the_variable(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**values)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_an_invalid_key_is_not_echoed() -> None:
    secret = "pk_live_51SECRETSECRETSECRET"
    with pytest.raises(ConfigError) as info:
        load_settings(spreadsheet="x", stripe_api_key=secret)
    assert secret not in str(info.value)


def test_a_broken_toml_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("spreadsheet = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "absent.toml")


def test_the_secret_prints_masked() -> None:
    settings = load_settings(spreadsheet="x", stripe_api_key=KEY)
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('spreadhseet = "x"', 'unknown setting "spreadhseet" in {}: did you mean "spreadsheet"?'),
        ('SPREADSHEET = "x"', 'unknown setting "SPREADSHEET" in {}: did you mean "spreadsheet"?'),
        ('lockdir = "/l"', 'unknown setting "lockdir" in {}: did you mean "lock_dir"?'),
        ("send_invoice = 1", 'unknown setting "send_invoice" in {}: did you mean "send_invoices"?'),
        (
            "frobnicate = 1",
            'unknown setting "frobnicate" in {}: remove it '
            "(config/sheetsync.example.toml lists every setting)",
        ),
    ],
)
def test_an_unknown_key_in_the_toml_file_names_the_closest_setting(
    tmp_path: Path, line: str, message: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'stripe_api_key = "{KEY}"\n{line}\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert str(info.value) == message.format(config)


def test_the_sheetsync_section_is_checked_and_other_tables_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "shared.toml"
    config.write_text(
        '[tool.other]\nanything = 1\n[sheetsync]\nspreadsheet = "abc"\n'
        f'stripe_secret_key = "{KEY}"\n[sheetsync.columns]\nunit_price = "Rate"\n'
    )
    settings = load_settings(config)
    assert (settings.spreadsheet, settings.columns) == ("abc", {"unit_price": "Rate"})
    config.write_text('[sheetsync]\nspreadsheet = "abc"\nworksheeet = "Bills"\n')
    with pytest.raises(ConfigError, match='"worksheeet" .*did you mean "worksheet"'):
        load_settings(config)


def test_an_unknown_column_to_rename_names_the_closest_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'spreadsheet = "x"\nstripe_api_key = "{KEY}"\n[columns]\nunit_prise = "R"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert str(info.value).startswith(
        'SHEETSYNC_COLUMNS has unknown column "unit_prise": did you mean "unit_price"?'
    )


def test_unknown_sheetsync_variables_are_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEETSYNC_SPREADHSEET", "x")
    monkeypatch.setenv("SHEETSYNC_CONFIG", "c.toml")  # read by the command, not a setting
    monkeypatch.setenv("SHEETSYNC_STRIPE_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json")
    (tmp_path / ".env").write_text("SHEETSYNC_LOCK_TIMOUT=5\nSHEETSYNC_WORKSHEET=Bills\n")
    assert unknown_variables() == [
        "SHEETSYNC_LOCK_TIMOUT is not a sheetsync setting and is ignored: "
        'did you mean "SHEETSYNC_LOCK_TIMEOUT"?',
        "SHEETSYNC_SPREADHSEET is not a sheetsync setting and is ignored: "
        'did you mean "SHEETSYNC_SPREADSHEET"?',
    ]
    assert load_settings(spreadsheet="x").worksheet == "Bills"  # and nothing fails


@pytest.mark.parametrize("pasted", [f"{KEY}\n", f"  {KEY}\r\n", f"\t{KEY} "])
def test_whitespace_around_the_stripe_key_is_dropped(pasted: str) -> None:
    settings = load_settings(spreadsheet="x", stripe_api_key=pasted)
    assert settings.stripe_api_key.get_secret_value() == KEY


@pytest.mark.parametrize(
    "garbled",
    [
        f"{KEY[:12]} {KEY[12:]}",
        f"{KEY[:12]}\n{KEY[12:]}",
        f"{KEY}…",
        f"{KEY[:9]}é{KEY[9:]}",
        f"{KEY}\x00",
    ],
)
def test_a_garbled_stripe_key_is_one_line_without_the_key(garbled: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(spreadsheet="x", stripe_api_key=garbled)
    message = str(info.value)
    assert message.startswith("SHEETSYNC_STRIPE_API_KEY contains a space, a line break or a ")
    assert "\n" not in message and KEY[8:20] not in message and KEY[-10:] not in message


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("1AbC_d-9\n", "1AbC_d-9"),
        (" https://docs.google.com/spreadsheets/d/1AbC_d-9/edit\n", "1AbC_d-9"),
        ("/data/Rechnungen März.xlsx\n", "/data/Rechnungen März.xlsx"),
    ],
)
def test_whitespace_around_the_spreadsheet_is_dropped(given: str, kept: str) -> None:
    assert load_settings(spreadsheet=given, stripe_api_key=KEY).spreadsheet == kept


@pytest.mark.parametrize("garbled", ["1AbC d-9", "1AbC\nd-9", "1AbÇ_d-9"])
def test_a_garbled_spreadsheet_id_is_one_line(garbled: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(spreadsheet=garbled, stripe_api_key=KEY)
    message = str(info.value)
    assert message.startswith("SHEETSYNC_SPREADSHEET contains a space, a line break or a ")
    assert "\n" not in message


def test_the_example_file_names_every_setting_and_nothing_else(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "config" / "sheetsync.example.toml"
    keys: set[str] = set()
    table = ""
    for line in example.read_text().splitlines():
        text = line.removeprefix("#").strip()
        if text.startswith("[") and text.endswith("]"):
            keys.add(text.strip("[]"))
            table = text
        elif not text:
            table = ""
        elif " = " in text and not table and text.split(" = ")[0].isidentifier():
            keys.add(text.split(" = ")[0])
    assert keys == set(Settings.model_fields)
    config = tmp_path / "config.toml"
    config.write_text(example.read_text())
    assert load_settings(config, stripe_api_key=KEY).worksheet == "Invoices"
