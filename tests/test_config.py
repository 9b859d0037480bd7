"""Settings: environment, .env and TOML, the environment winning; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import load_settings
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
