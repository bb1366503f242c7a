"""The config file as a user writes it: every bad input gets one exact, located message.

Expected problems are written as what follows `<path>:` in `ConfigError.lines()`, so
`"2: imap.port: ..."` reads as `/tmp/.../config.yaml:2: imap.port: ...`; `TMP` stands for the
test's temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import sys
import time
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tzlocal

from daemon.config import (
    CaldavCalendar,
    Config,
    ConfigError,
    IcsFileCalendar,
    IcsUrlCalendar,
    Security,
    load_config,
)
from daemon.durations import Duration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.yaml"

IMAP_PW = "imap-Pw-4711-xq"
SMTP_PW = "smtp-Pw-0815-zk"
SYSTEM_ZONE = "Pacific/Chatham"  # what the (patched) system reports; unlikely on a test machine

MINIMAL = """\
account:
  email: me@example.com
imap:
  host: imap.example.com
  password_env: AV_TEST_IMAP_PW
smtp:
  host: smtp.example.com
  password_env: AV_TEST_SMTP_PW
"""

ACCOUNT = "{email: me@example.com, timezone: UTC}"
IMAP = "{host: imap.example.com, password_env: AV_TEST_IMAP_PW}"
SMTP = "{host: smtp.example.com, password_env: AV_TEST_SMTP_PW}"


def flow(**sections: str) -> str:
    """A config with one section per line: account on line 1, imap on 2, smtp on 3 (each can be
    replaced), and any other section from line 4 on, in the order given."""
    merged = {"account": ACCOUNT, "imap": IMAP, "smtp": SMTP, **sections}
    return "".join(f"{key}: {value}\n" for key, value in merged.items())


def imap(extra: str, secret: str = "password_env: AV_TEST_IMAP_PW") -> str:
    """The imap section in flow style with `extra` settings (for line 2 of `flow`)."""
    settings = ", ".join(part for part in ("host: imap.example.com", extra, secret) if part)
    return "{" + settings + "}"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the machine's time zone, home folder or XDG settings."""
    for name in (
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "AFTERVIEW_CONFIG",
        "TZ",
        "AV_TEST_UNSET_PW",
        "AV_TEST_UNSET_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AV_TEST_IMAP_PW", IMAP_PW)
    monkeypatch.setenv("AV_TEST_SMTP_PW", SMTP_PW)
    monkeypatch.setenv("AV_TEST_BLANK_PW", "   ")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: SYSTEM_ZONE)


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(tmp_path: Path, text: str, mode: int = 0o600) -> Config:
    return load_config(write_config(tmp_path, text, mode))


def error_of(path: Path | str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    error = info.value
    assert str(error) == "\n".join(error.lines())
    return error


def problems(tmp_path: Path, text: str, mode: int = 0o600) -> list[str]:
    return error_of(write_config(tmp_path, text, mode)).lines()


def located(tmp_path: Path, *expected: str) -> list[str]:
    """Full expected lines from `"<line>: <key>: <message>"` (or `" <message>"` for line 0)."""
    path = tmp_path / "config.yaml"
    return [f"{path}:{line.replace('TMP', str(tmp_path))}" for line in expected]


def script(tmp_path: Path, name: str, body: str, mode: int = 0o700) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def minimal(tmp_path: Path) -> Config:
    return load(tmp_path, MINIMAL)


# -- bad inputs, each with its exact message ------------------------------------------------------

DURATION = "a duration like '90s', '15m', '2h', '3d' or '5 business days'"
CLOCK = "a duration like '90s', '15m', '2h' or '3d'"
NO_PASSWORD = (
    "no password given: expected one of password_command, password_env or password_file "
    "(or oauth2_token_command for XOAUTH2)"
)
NOT_A_MAPPING = "expected a mapping of sections (account, imap, smtp, ...), got"

BAD_INPUTS = [
    pytest.param(
        flow(imap=imap("port: imap")),
        ["2: imap.port: expected an integer 1-65535, got 'imap'"],
        id="port-as-text",
    ),
    pytest.param(
        flow(imap=imap("port: '993'")),
        ["2: imap.port: expected an integer 1-65535, got '993'"],
        id="port-as-quoted-number",
    ),
    pytest.param(
        flow(smtp="{host: smtp.example.com, port: 70000, password_env: AV_TEST_SMTP_PW}"),
        ["3: smtp.port: expected an integer 1-65535, got 70000"],
        id="port-out-of-range",
    ),
    pytest.param(
        flow(imap=imap("port: 0")),
        ["2: imap.port: expected an integer 1-65535, got 0"],
        id="port-zero",
    ),
    pytest.param(
        flow(sync="{idle: sometimes}"),
        ["4: sync.idle: expected true or false, got 'sometimes'"],
        id="bool-as-text",
    ),
    pytest.param(
        flow(imap=imap("insecure: 1")),
        ["2: imap.insecure: expected true or false, got 1"],
        id="bool-as-number",
    ),
    pytest.param(
        flow(digest="[enabled]"),
        ["4: digest: expected a mapping of settings, got a list"],
        id="list-where-mapping-expected",
    ),
    pytest.param(
        flow(imap=imap("folders: [INBOX, Jobs]")),
        ["2: imap.folders: expected a mapping of settings, got a list"],
        id="nested-list-where-mapping-expected",
    ),
    pytest.param(
        flow(imap=imap("folders: {extra: [Jobs, 42]}")),
        [
            "2: imap.folders.extra: expected a list of folder names, got a list "
            "(item 42 on line 2 is not a text)"
        ],
        id="list-with-a-number",
    ),
    pytest.param(
        flow(imap=imap("hots: imap2.example.com")),
        ["2: imap.hots: unknown key; did you mean 'host'?"],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        flow(imap=imap("", secret="pasword_env: AV_TEST_IMAP_PW")),
        [
            f"2: imap: {NO_PASSWORD}",
            "2: imap.pasword_env: unknown key; did you mean 'password_env'?",
        ],
        id="misspelt-secret-key",
    ),
    pytest.param(
        flow(followup="{chek_in_after: 3 business days}"),
        ["4: followup.chek_in_after: unknown key; did you mean 'check_in_after'?"],
        id="unknown-key-in-policy",
    ),
    pytest.param(
        flow(imapp="{port: 993}"),
        ["4: imapp: unknown key; did you mean 'imap'?"],
        id="unknown-section-with-suggestion",
    ),
    pytest.param(
        flow(colour="blue"),
        ["4: colour: unknown key"],
        id="unknown-key-without-suggestion",
    ),
    pytest.param(
        flow(sync="{backfill: soon}"),
        [f"4: sync.backfill: expected {CLOCK}, got 'soon'"],
        id="duration-as-text",
    ),
    pytest.param(
        flow(quiet="{quiet_after: 5}"),
        [f"4: quiet.quiet_after: expected {DURATION}, got 5"],
        id="duration-without-unit",
    ),
    pytest.param(
        flow(sync="{calendar_interval: 5 parsecs}"),
        [f"4: sync.calendar_interval: expected {CLOCK}, got '5 parsecs' (unknown unit 'parsecs')"],
        id="duration-unknown-unit",
    ),
    pytest.param(
        flow(approval="{token_ttl: 5 business days}"),
        [
            f"4: approval.token_ttl: expected {CLOCK}, got '5 business days' "
            "(business days are not allowed here)"
        ],
        id="business-days-where-clock-time-expected",
    ),
    pytest.param(
        flow(sync="{backfill: 20y}"),
        [f"4: sync.backfill: expected {CLOCK}, got '20y' (at most 10 years)"],
        id="duration-over-ten-years",
    ),
    pytest.param(
        flow(followup="{thank_you_due: 4000d}"),
        [f"4: followup.thank_you_due: expected {CLOCK}, got '4000d' (at most 10 years)"],
        id="duration-too-long",
    ),
    pytest.param(
        flow(account="{email: me@example.com, timezone: Mars/Olympus}"),
        [
            "1: account.timezone: expected an IANA time zone like 'Europe/Berlin', "
            "got 'Mars/Olympus' (unknown time zone)"
        ],
        id="unknown-time-zone",
    ),
    pytest.param(
        flow(account="{email: me@example.com, timezone: 2}"),
        ["1: account.timezone: expected an IANA time zone like 'Europe/Berlin', got 2"],
        id="time-zone-as-number",
    ),
    pytest.param(
        flow(account="{email: me at example.com, timezone: UTC}"),
        [
            "1: account.email: expected an email address like you@example.com, "
            "got 'me at example.com'"
        ],
        id="bad-email",
    ),
    pytest.param(
        flow(approval="{approvers: []}"),
        [
            "4: approval.approvers: expected a list of email addresses, got a list "
            "(the list is empty)"
        ],
        id="no-approvers",
    ),
    pytest.param(
        flow(imap=imap("security: tls")),
        ["2: imap.security: expected one of ssl, starttls, none, got 'tls'"],
        id="bad-security",
    ),
    pytest.param(
        flow(smtp="{host: smtp.example.com, security: none, password_env: AV_TEST_SMTP_PW}"),
        [
            "3: smtp.security: 'none' would send your password unencrypted to smtp.example.com: "
            "use ssl or starttls, or set insecure: true to allow it"
        ],
        id="security-none-to-remote-host",
    ),
    pytest.param(
        flow(imap="{host: 'imaps://imap.example.com', password_env: AV_TEST_IMAP_PW}"),
        [
            "2: imap.host: expected a host name like mail.example.com, "
            "got 'imaps://imap.example.com' (without a scheme or path)"
        ],
        id="host-as-url",
    ),
    pytest.param(
        flow(account="{name: Me, timezone: UTC}"),
        ["1: account.email: required: expected an email address like you@example.com"],
        id="missing-account-email",
    ),
    pytest.param(
        flow(imap="{port: 993, password_env: AV_TEST_IMAP_PW}"),
        ["2: imap.host: required: expected a host name like mail.example.com"],
        id="missing-imap-host",
    ),
    pytest.param(
        flow(imap="{host: imap.example.com}"),
        [f"2: imap: {NO_PASSWORD}"],
        id="missing-secret",
    ),
    pytest.param(
        flow(imap=imap("password_file: imap.pw")),
        ["2: imap.password_file: give only one of password_env, password_file"],
        id="two-secret-sources",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_command: afterview-no-such-program --show")),
        [
            "2: imap.password_command: no secret: cannot run 'afterview-no-such-program': "
            "no such program"
        ],
        id="password-command-not-found",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_command: []")),
        [
            "2: imap.password_command: expected a command as a list, like [pass, show, mail], "
            "got a list (the command is empty)"
        ],
        id="password-command-empty",
    ),
    pytest.param(
        flow(imap=imap("", secret="oauth2_token_command: [oama, access], password: 'pw-Value-1'")),
        [
            "2: imap.oauth2_token_command: give either oauth2_token_command (XOAUTH2) or a "
            "password option, not both"
        ],
        id="oauth2-and-password",
    ),
    pytest.param(
        flow(imap=imap("", secret="oauth2_token_command: []")),
        [
            "2: imap.oauth2_token_command: expected a command that prints an OAuth2 access "
            "token, as a list, like [oama, access, you@gmail.com], got a list (the command "
            "is empty)"
        ],
        id="oauth2-command-not-a-list",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_env: AV_TEST_UNSET_PW")),
        ["2: imap.password_env: no secret: environment variable AV_TEST_UNSET_PW is not set"],
        id="password-env-unset",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_env: AV_TEST_BLANK_PW")),
        ["2: imap.password_env: no secret: environment variable AV_TEST_BLANK_PW is empty"],
        id="password-env-blank",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_env: 'not a name'")),
        ["2: imap.password_env: expected an environment variable name, got 'not a name'"],
        id="password-env-not-a-name",
    ),
    pytest.param(
        flow(imap=imap("", secret="password_file: missing.pw")),
        ["2: imap.password_file: no secret: TMP/missing.pw does not exist"],
        id="password-file-missing",
    ),
    pytest.param(
        "",
        ["1: the file is empty: expected a mapping with the sections account, imap and smtp"],
        id="empty-file",
    ),
    pytest.param(
        "# nothing here yet\n\n",
        ["1: the file is empty: expected a mapping with the sections account, imap and smtp"],
        id="comments-only",
    ),
    pytest.param("- account\n- imap\n", [f"1: {NOT_A_MAPPING} a list"], id="yaml-list"),
    pytest.param("\n\nhello\n", [f"3: {NOT_A_MAPPING} 'hello'"], id="yaml-scalar"),
    pytest.param("42\n", [f"1: {NOT_A_MAPPING} 42"], id="yaml-number"),
    pytest.param(
        "account:\n  email: me@example.com\n imap: {}\n",
        ["3: not valid YAML: expected <block end>, but found '<block mapping start>'"],
        id="yaml-bad-indentation",
    ),
    pytest.param(
        "account:\n\temail: me@example.com\n",
        ["2: not valid YAML: found character '\\t' that cannot start any token"],
        id="yaml-tab",
    ),
    pytest.param(
        "account: email: me@example.com\n",
        ["1: not valid YAML: mapping values are not allowed here"],
        id="yaml-mapping-in-plain-value",
    ),
    pytest.param(
        flow(log_level="info") + "log_level: debug\n",
        ["5: log_level: given twice (first on line 4)"],
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "account: {email: me@example.com, timezone: UTC}\n"
        "imap:\n"
        "  host: imap.example.com\n"
        "  port: 993\n"
        "  password_env: AV_TEST_IMAP_PW\n"
        "  port: 143\n"
        f"smtp: {SMTP}\n"
        "imap: {host: other.example.com}\n",
        [
            "6: imap.port: given twice (first on line 4)",
            "8: imap: given twice (first on line 2)",
        ],
        id="duplicate-keys-nested-and-sections",
    ),
    pytest.param(
        flow(calendars="[{type: exchange}]"),
        ["4: calendars[0].type: expected one of caldav, ics_url, ics_file, got 'exchange'"],
        id="calendar-unknown-type",
    ),
    pytest.param(
        flow(calendars="[{type: caldav, username: me}]"),
        ["4: calendars[0].url: required: expected an http:// or https:// URL"],
        id="calendar-missing-url",
    ),
    pytest.param(
        flow(calendars="[{type: ics_url, url: 'ftp://calendar.example.com/me.ics'}]"),
        [
            "4: calendars[0].url: expected an http:// or https:// URL, "
            "got 'ftp://calendar.example.com/me.ics'"
        ],
        id="calendar-bad-url",
    ),
    pytest.param(
        flow(calendars="[{type: ics_file, path: work.ics, url: 'https://x.example/'}]"),
        ["4: calendars[0].url: unknown key"],
        id="calendar-key-of-another-type",
    ),
    pytest.param(
        flow(calendars="[{type: ics_file, path: a.ics}, 'https://calendar.example.com/me.ics']"),
        ["4: calendars[1]: expected a mapping, got 'https://calendar.example.com/me.ics'"],
        id="calendar-not-a-mapping",
    ),
    pytest.param(
        flow(calendars="{type: caldav}"),
        ["4: calendars: expected a list, got a mapping"],
        id="calendars-not-a-list",
    ),
    pytest.param(
        flow(state_dir="${AV_TEST_UNSET_DIR}/state"),
        [
            "4: state_dir: expected a file or folder path, got '${AV_TEST_UNSET_DIR}/state' "
            "(environment variable AV_TEST_UNSET_DIR is not set)"
        ],
        id="unset-variable-in-path",
    ),
    pytest.param(
        flow(state_dir="''"),
        ["4: state_dir: expected a file or folder path, got '' (empty)"],
        id="empty-path",
    ),
    pytest.param(
        flow(digest="{at: '25:00'}"),
        ["4: digest.at: expected a time of day like '08:00', got '25:00'"],
        id="digest-at-quoted-hour-25",
    ),
    pytest.param(
        flow(digest="{at: 25:00}"),
        ["4: digest.at: expected a time of day like '08:00', got 25:00"],
        id="digest-at-unquoted-shown-as-written",
    ),
    pytest.param(
        flow(digest="{at: 8}"),
        ["4: digest.at: expected a time of day like '08:00', got 8"],
        id="digest-at-hour-only",
    ),
    pytest.param(
        flow(followup="{weekend: [sat, funday]}"),
        [
            "4: followup.weekend: expected a list of day names like [sat, sun], "
            "got a list ('funday' is not a day name)"
        ],
        id="weekend-bad-day",
    ),
    pytest.param(
        flow(followup="{weekend: sat}"),
        ["4: followup.weekend: expected a list of day names like [sat, sun], got 'sat'"],
        id="weekend-not-a-list",
    ),
    pytest.param(
        flow(followup="{holidays: [2026-12-25, christmas]}"),
        [
            "4: followup.holidays: expected a list of dates like 2026-12-25, "
            "got a list ('christmas' on line 4 is not a date)"
        ],
        id="holiday-not-a-date",
    ),
    pytest.param(
        flow(followup="{daily_send_cap: 0, thank_you_to: both}"),
        [
            "4: followup.thank_you_to: expected one of each, all, got 'both'",
            "4: followup.daily_send_cap: expected an integer 1-1000, got 0",
        ],
        id="followup-choice-and-cap",
    ),
    pytest.param(
        flow(quiet="{keyword: follow up}"),
        ["4: quiet.keyword: expected an IMAP keyword like $FollowUp, got 'follow up'"],
        id="bad-imap-keyword",
    ),
    pytest.param(
        flow(log_level="verbose"),
        ["4: log_level: expected one of debug, info, warning, error, got 'verbose'"],
        id="bad-log-level",
    ),
    pytest.param(
        flow(**{"1": "one"}),
        ["4: keys must be plain names"],
        id="number-as-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS)
def test_bad_input_has_exact_located_message(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert problems(tmp_path, text) == located(tmp_path, *expected)


def test_password_command_exiting_non_zero(tmp_path: Path) -> None:
    body = "import sys\nprint('boom: vault locked', file=sys.stderr)\nsys.exit(3)\n"
    failing = script(tmp_path, "fail.py", body)
    command = json.dumps([sys.executable, str(failing)])
    text = flow(imap=imap("", secret=f"password_command: {command}"))
    assert problems(tmp_path, text) == located(
        tmp_path,
        f"2: imap.password_command: no secret: '{sys.executable}' exited with status 3: "
        "boom: vault locked",
    )


def test_password_command_printing_nothing(tmp_path: Path) -> None:
    blank = script(tmp_path, "blank.py", "print()\nprint('the secret is not on line one')\n")
    command = json.dumps(shlex.join([sys.executable, str(blank)]))
    text = flow(imap=imap("", secret=f"password_command: {command}"))
    assert problems(tmp_path, text) == located(
        tmp_path,
        f"2: imap.password_command: no secret: '{sys.executable}' printed nothing on its "
        "first line",
    )


def test_password_command_not_executable(tmp_path: Path) -> None:
    unreadable = script(tmp_path, "getpw.sh", "#!/bin/sh\necho secret\n", mode=0o600)
    text = flow(imap=imap("", secret=f"password_command: {json.dumps([str(unreadable)])}"))
    assert problems(tmp_path, text) == located(
        tmp_path,
        "2: imap.password_command: no secret: cannot run 'TMP/getpw.sh': permission denied",
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_plain_password_in_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    text = flow(imap=imap("", secret="password: Plain-Secret-99"))
    lines = problems(tmp_path, text, mode=mode)
    assert lines == located(
        tmp_path,
        f"2: imap.password: the file holds a plain password but group or others can read it "
        f"(mode {mode:o}): run 'chmod 600 TMP/config.yaml', or use password_command, "
        "password_env or password_file",
    )
    assert "Plain-Secret-99" not in "\n".join(lines)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert error_of(path).lines() == [f"{path}: no such file (copy config.example.yaml to start)"]


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert error_of(tmp_path).lines() == [f"{tmp_path}: is a folder, expected the YAML config file"]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"account: {name: \xff}\n")
    assert error_of(path).lines() == [f"{path}:1: not UTF-8 text (byte 16)"]


def test_messages_use_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, flow(imap=imap("port: imap")))
    monkeypatch.chdir(tmp_path)
    assert error_of("config.yaml").lines() == [
        "config.yaml:2: imap.port: expected an integer 1-65535, got 'imap'"
    ]


def test_all_errors_are_reported_at_once_sorted_by_line(tmp_path: Path) -> None:
    text = """\
colour: blue
log_level: verbose
account:
  email: me@example.com
  timezone: Mars/Olympus
imap:
  host: imap.example.com
  port: 99999
  password_env: AV_TEST_UNSET_PW
  hots: imap2.example.com
smtp:
  host: smtp.example.com
  password_env: AV_TEST_SMTP_PW
  security: tls
followup:
  check_in_after: soon
  weekend: [sat, funday]
digest: {at: "25:00"}
log_level: debug
"""
    assert problems(tmp_path, text) == located(
        tmp_path,
        "1: colour: unknown key",
        "2: log_level: expected one of debug, info, warning, error, got 'verbose'",
        "5: account.timezone: expected an IANA time zone like 'Europe/Berlin', "
        "got 'Mars/Olympus' (unknown time zone)",
        "8: imap.port: expected an integer 1-65535, got 99999",
        "9: imap.password_env: no secret: environment variable AV_TEST_UNSET_PW is not set",
        "10: imap.hots: unknown key; did you mean 'host'?",
        "14: smtp.security: expected one of ssl, starttls, none, got 'tls'",
        f"16: followup.check_in_after: expected {DURATION}, got 'soon'",
        "17: followup.weekend: expected a list of day names like [sat, sun], "
        "got a list ('funday' is not a day name)",
        "18: digest.at: expected a time of day like '08:00', got '25:00'",
        "19: log_level: given twice (first on line 2)",
    )


# -- bad inputs the loader gets wrong today (see the report) --------------------------------------


def test_time_zone_naming_a_folder_of_zones(tmp_path: Path) -> None:
    # `America` is a folder in the zone database: ZoneInfo raises IsADirectoryError.
    text = flow(account="{email: me@example.com, timezone: America}")
    assert problems(tmp_path, text) == located(
        tmp_path,
        "1: account.timezone: expected an IANA time zone like 'Europe/Berlin', "
        "got 'America' (unknown time zone)",
    )


def test_impossible_holiday_date_names_its_key_and_other_errors_still_show(
    tmp_path: Path,
) -> None:
    # An unquoted 2026-02-30 is a YAML timestamp that cannot be built: the whole file failed
    # with "cannot read value: day is out of range for month", no key, no other problems.
    text = flow(followup="{holidays: [2026-12-25, 2026-02-30]}", log_level="verbose")
    lines = problems(tmp_path, text)
    assert len(lines) == 2, lines
    assert lines[0].startswith(located(tmp_path, "4: followup.holidays: ")[0])
    assert "2026-02-30" in lines[0]
    assert lines[1:] == located(
        tmp_path, "5: log_level: expected one of debug, info, warning, error, got 'verbose'"
    )


@pytest.mark.parametrize(
    "secret_line",
    [
        "password: null",
        "password_env: null",
        "password_command: null",
        "password_file: null",
        "password_env:",
    ],
)
def test_secret_option_without_a_value_is_an_error(tmp_path: Path, secret_line: str) -> None:
    # Today these load, and the server silently gets an empty password.
    key = secret_line.split(":")[0]
    lines = problems(tmp_path, flow(imap=imap("", secret=secret_line)))
    assert len(lines) == 1, lines
    assert lines[0].startswith(located(tmp_path, f"2: imap.{key}: ")[0])


def test_section_that_is_not_a_mapping_gives_one_error(tmp_path: Path) -> None:
    # Today also "imap.host: required" and "imap: no password given", for a host that was given.
    assert problems(tmp_path, flow(imap="imap.example.com")) == located(
        tmp_path, "2: imap: expected a mapping of settings, got 'imap.example.com'"
    )


def test_calendar_with_bad_type_does_not_call_its_known_keys_unknown(tmp_path: Path) -> None:
    # Today also "calendars[0].url: unknown key; did you mean 'url'?".
    text = flow(calendars="[{type: exchange, url: 'https://dav.example.com/'}]")
    assert problems(tmp_path, text) == located(
        tmp_path,
        "4: calendars[0].type: expected one of caldav, ics_url, ics_file, got 'exchange'",
    )


def test_calendar_without_type_does_not_call_its_known_keys_unknown(tmp_path: Path) -> None:
    # Today also "calendars[0].path: unknown key; did you mean 'path'?".
    text = flow(calendars="[{path: work.ics}]")
    assert problems(tmp_path, text) == located(
        tmp_path, "4: calendars[0].type: required: expected one of caldav, ics_url, ics_file"
    )


def test_bad_approver_is_named(tmp_path: Path) -> None:
    # Today: "expected a list of email addresses, got a list" without saying which item.
    lines = problems(tmp_path, flow(approval="{approvers: [me@example.com, boss]}"))
    assert len(lines) == 1, lines
    prefix = "4: approval.approvers: expected a list of email addresses, got a list ("
    assert lines[0].startswith(located(tmp_path, prefix)[0])
    assert "'boss'" in lines[0]


BLOCK_LINES = [
    pytest.param(
        f"account: {ACCOUNT}\nimap:\n  host: imap.example.com\nsmtp: {SMTP}\n",
        [f"2: imap: {NO_PASSWORD}"],
        id="missing-secret-at-the-section-key",
    ),
    pytest.param(
        f"account:\n  name: Me\n  timezone: UTC\nimap: {IMAP}\nsmtp: {SMTP}\n",
        ["1: account.email: required: expected an email address like you@example.com"],
        id="missing-key-at-the-section-key",
    ),
    pytest.param(
        f"account: {ACCOUNT}\nimap:\n  host: imap.example.com\n  password_env: AV_TEST_IMAP_PW\n"
        f"  folders:\n    - INBOX\nsmtp: {SMTP}\n",
        ["5: imap.folders: expected a mapping of settings, got a list"],
        id="block-value-at-its-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BLOCK_LINES)
def test_block_style_problems_name_the_line_of_their_key(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    # Today the line is that of the value's first line (the first key inside the section).
    assert problems(tmp_path, text) == located(tmp_path, *expected)


def test_unterminated_quote_names_the_line_where_it_opens(tmp_path: Path) -> None:
    # Today: line 4, past the end of the 3-line file, where the scanner ran out of text.
    text = 'account:\n  email: "me@example.com\nimap: {}\n'
    lines = problems(tmp_path, text)
    assert len(lines) == 1, lines
    assert lines[0].startswith(located(tmp_path, "2: not valid YAML: ")[0])


# -- happy paths ----------------------------------------------------------------------------------


def test_defaults(minimal: Config, tmp_path: Path) -> None:
    config = minimal
    assert config.path == tmp_path / "config.yaml"
    assert config.warnings == ()
    assert (config.account.email, config.account.name, config.account.signature) == (
        "me@example.com",
        "",
        "",
    )
    assert config.account.timezone == ZoneInfo(SYSTEM_ZONE)

    assert config.imap.host == "imap.example.com"
    assert (config.imap.port, config.imap.security) == (993, Security.SSL)
    assert config.imap.username == "me@example.com"
    assert config.imap.secret.reveal() == IMAP_PW
    assert (config.imap.ca_file, config.imap.insecure) == (None, False)
    assert (config.imap.folders.inbox, config.imap.folders.sent) == ("INBOX", None)
    assert config.imap.folders.extra == ()

    assert (config.smtp.host, config.smtp.port, config.smtp.security) == (
        "smtp.example.com",
        465,
        Security.SSL,
    )
    assert config.smtp.username == "me@example.com"
    assert config.smtp.secret.reveal() == SMTP_PW
    assert config.smtp.saves_sent_copy is False

    assert config.calendars == ()
    assert config.approval.approvers == ("me@example.com",)
    assert config.approval.token_ttl == timedelta(hours=72)
    assert config.approval.trusted_authserv_id is None

    followup = config.followup
    assert (followup.thank_you_delay, followup.thank_you_due) == (
        timedelta(hours=1),
        timedelta(hours=24),
    )
    assert followup.thank_you_to == "each"
    assert followup.check_in_after == Duration(business_days=5)
    assert followup.second_check_in_after == Duration(business_days=7)
    assert followup.invitation_reminder_after == timedelta(hours=24)
    assert followup.daily_send_cap == 20
    assert followup.weekend == (5, 6)
    assert followup.holidays == ()
    assert followup.templates_dir is None

    assert config.quiet.quiet_after == Duration(business_days=5)
    assert config.quiet.owe_reply_after == Duration(clock=timedelta(days=2))
    assert (config.quiet.keyword, config.quiet.flag, config.quiet.track_keyword) == (
        "$FollowUp",
        False,
        None,
    )
    assert (config.digest.enabled, config.digest.at, config.digest.send_when_empty) == (
        True,
        clock_time(8, 0),
        False,
    )
    assert config.sync.poll_interval == timedelta(minutes=5)
    assert config.sync.calendar_interval == timedelta(minutes=15)
    assert config.sync.backfill == timedelta(days=60)
    assert config.sync.idle is True
    assert config.state_dir == tmp_path / "home" / ".local" / "state" / "afterview"
    assert config.log_level == "info"


@pytest.mark.parametrize(
    ("section", "settings", "security", "port"),
    [
        ("imap", "host: imap.example.com, security: ssl", Security.SSL, 993),
        ("imap", "host: imap.example.com, security: starttls", Security.STARTTLS, 143),
        ("imap", "host: localhost, security: none", Security.NONE, 143),
        ("imap", "host: 127.0.0.1, security: none", Security.NONE, 143),
        ("imap", "host: imap.example.com, security: starttls, port: 1143", Security.STARTTLS, 1143),
        ("smtp", "host: smtp.example.com, security: ssl", Security.SSL, 465),
        ("smtp", "host: smtp.example.com, security: starttls", Security.STARTTLS, 587),
        ("smtp", "host: '::1', security: none", Security.NONE, 25),
        ("smtp", "host: mail.lan, security: none, insecure: true", Security.NONE, 25),
    ],
)
def test_port_defaults_follow_security(
    tmp_path: Path, section: str, settings: str, security: Security, port: int
) -> None:
    text = flow(**{section: f"{{{settings}, password_env: AV_TEST_SMTP_PW}}"})
    server = getattr(load(tmp_path, text), section)
    assert (server.security, server.port) == (security, port)


def test_insecure_is_warned_about(tmp_path: Path) -> None:
    config = load(tmp_path, flow(imap=imap("security: none, insecure: true")))
    assert config.imap.insecure is True
    assert list(config.warnings) == located(
        tmp_path,
        "2: imap.insecure: TLS certificate checks are off for this server; anyone on the "
        "network path can read your mail",
    )


def test_username_and_approvers_given(tmp_path: Path) -> None:
    text = flow(
        imap=imap("username: login-name"),
        approval="{approvers: boss@example.com, token_ttl: 90m, "
        "trusted_authserv_id: mx.example.com}",
    )
    config = load(tmp_path, text)
    assert config.imap.username == "login-name"
    assert config.smtp.username == "me@example.com"
    assert config.approval.approvers == ("boss@example.com",)
    assert config.approval.token_ttl == timedelta(minutes=90)
    assert config.approval.trusted_authserv_id == "mx.example.com"


def test_state_dir_defaults_to_xdg_state_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    assert load(tmp_path, MINIMAL).state_dir == tmp_path / "xdg-state" / "afterview"


@pytest.mark.parametrize("reported", [None, "Not/AZone", ""])
def test_time_zone_falls_back_to_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: str | None
) -> None:
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: reported)
    assert load(tmp_path, MINIMAL).account.timezone == ZoneInfo("UTC")


def test_given_time_zone(tmp_path: Path) -> None:
    text = flow(account="{email: me@example.com, timezone: America/Argentina/Buenos_Aires}")
    assert load(tmp_path, text).account.timezone == ZoneInfo("America/Argentina/Buenos_Aires")


def test_password_command_list_and_string_forms(tmp_path: Path) -> None:
    getpw = script(tmp_path, "getpw.py", "import sys\nprint('cmd-' + sys.argv[1])\nprint('no')\n")
    as_list = json.dumps([sys.executable, str(getpw), "Imap-Secret"])
    as_string = json.dumps(shlex.join([sys.executable, str(getpw), "Smtp Secret"]))
    text = flow(
        imap=imap("", secret=f"password_command: {as_list}"),
        smtp=f"{{host: smtp.example.com, password_command: {as_string}}}",
    )
    config = load(tmp_path, text)
    assert config.imap.secret.reveal() == "cmd-Imap-Secret"
    assert config.smtp.secret.reveal() == "cmd-Smtp Secret"
    assert str(config.imap.secret) == f"<secret from imap.password_command ({sys.executable})>"


def test_password_file_relative_to_the_config_folder(tmp_path: Path) -> None:
    secret_file = tmp_path / "imap.pw"
    secret_file.write_text("file-Secret-1\nignored\n")
    secret_file.chmod(0o600)
    config = load(tmp_path, flow(imap=imap("", secret="password_file: imap.pw")))
    assert config.imap.secret.reveal() == "file-Secret-1"
    assert config.warnings == ()


def test_password_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    secret_file = tmp_path / "imap.pw"
    secret_file.write_text("file-Secret-2\n")
    secret_file.chmod(0o644)
    config = load(tmp_path, flow(imap=imap("", secret=f"password_file: {secret_file}")))
    assert config.imap.secret.reveal() == "file-Secret-2"
    assert list(config.warnings) == located(
        tmp_path,
        "2: imap.password_file: TMP/imap.pw can be read by group or others; "
        "run 'chmod 600 TMP/imap.pw'",
    )


def test_plain_password_in_a_private_file_is_accepted_with_a_warning(tmp_path: Path) -> None:
    config = load(tmp_path, flow(imap=imap("", secret="password: Plain-Secret-42")))
    assert config.imap.secret.reveal() == "Plain-Secret-42"
    assert list(config.warnings) == located(
        tmp_path,
        "2: imap.password: a plain password in the config file; password_command, password_env "
        "or password_file keep it out of the file",
    )
    assert "Plain-Secret-42" not in "\n".join(config.warnings)


def test_paths_expand_home_variables_and_relative_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AV_TEST_CERTS", str(tmp_path / "certs"))
    monkeypatch.setenv("AV_TEST_NAME", "alice")
    text = flow(
        imap=imap("ca_file: '${AV_TEST_CERTS}/ca.pem'"),
        smtp="{host: smtp.example.com, password_env: AV_TEST_SMTP_PW, ca_file: ~/ca.pem}",
        followup="{templates_dir: my templates}",
        state_dir="~/state/${AV_TEST_NAME}",
        calendars="[{type: ics_file, path: cal/work.ics}]",
    )
    config = load(tmp_path, text)
    home = tmp_path / "home"
    assert config.imap.ca_file == tmp_path / "certs" / "ca.pem"
    assert config.smtp.ca_file == home / "ca.pem"
    assert config.followup.templates_dir == tmp_path / "my templates"
    assert config.state_dir == home / "state" / "alice"
    assert config.calendars == (IcsFileCalendar(path=tmp_path / "cal" / "work.ics"),)


def test_relative_paths_follow_the_config_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "config.yaml").write_text(flow(state_dir="state"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    state_dir = load_config("../conf/config.yaml").state_dir
    assert state_dir.is_absolute()
    assert state_dir.resolve() == (folder / "state").resolve()


def test_calendars(tmp_path: Path) -> None:
    text = flow(
        calendars="""
  - {type: caldav, url: 'https://dav.example.com/me/', username: me,
     password_env: AV_TEST_SMTP_PW}
  - {type: ics_url, url: 'https://calendar.example.com/private.ics', insecure: true}
  - type: ics_file
    path: /srv/work.ics"""
    )
    config = load(tmp_path, text)
    caldav, ics_url, ics_file = config.calendars
    assert isinstance(caldav, CaldavCalendar)
    assert (caldav.url, caldav.username) == ("https://dav.example.com/me/", "me")
    assert caldav.secret is not None and caldav.secret.reveal() == SMTP_PW
    assert isinstance(ics_url, IcsUrlCalendar)
    assert (ics_url.secret, ics_url.insecure) == (None, True)
    assert ics_file == IcsFileCalendar(path=Path("/srv/work.ics"))
    assert SMTP_PW in config.secrets()


def test_policies(tmp_path: Path) -> None:
    text = flow(
        followup="{check_in_after: 3 business days, second_check_in_after: 10d, "
        "weekend: [fri, Saturday], holidays: [2026-12-25, '2026-12-24'], thank_you_to: all}",
        quiet="{quiet_after: 1 business day, owe_reply_after: 36h, flag: true, "
        "track_keyword: $Job}",
        digest="{at: 8:30, enabled: false}",
        sync="{poll_interval: 90s, idle: false}",
        log_level="debug",
    )
    config = load(tmp_path, text)
    assert config.followup.check_in_after == Duration(business_days=3)
    assert config.followup.second_check_in_after == Duration(clock=timedelta(days=10))
    assert config.followup.weekend == (4, 5)
    assert config.followup.holidays == (date(2026, 12, 24), date(2026, 12, 25))
    assert config.followup.thank_you_to == "all"
    assert config.quiet.quiet_after == Duration(business_days=1)
    assert config.quiet.owe_reply_after == Duration(clock=timedelta(hours=36))
    assert (config.quiet.flag, config.quiet.track_keyword) == (True, "$Job")
    assert (config.digest.at, config.digest.enabled) == (clock_time(8, 30), False)
    assert config.sync.poll_interval == timedelta(seconds=90)
    assert config.sync.idle is False
    assert config.log_level == "debug"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("8:30", clock_time(8, 30)),
        ("'21:05'", clock_time(21, 5)),
        ("00:00", clock_time(0, 0)),
        ("23:59", clock_time(23, 59)),
    ],
)
def test_digest_time(tmp_path: Path, written: str, expected: clock_time) -> None:
    assert load(tmp_path, flow(digest=f"{{at: {written}}}")).digest.at == expected


def test_a_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    text = flow()
    text += "#" * ((1 << 20) - len(text) - 1) + "\n"
    assert len(text.encode()) == 1 << 20
    assert load(tmp_path, text).imap.host == "imap.example.com"


# -- secrets stay hidden --------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_or_str(tmp_path: Path) -> None:
    getpw = script(tmp_path, "getpw.py", "print('cmd-Secret-Zz9')\n")
    text = flow(
        imap=imap("", secret=f"password_command: {json.dumps([sys.executable, str(getpw)])}"),
        smtp="{host: smtp.example.com, password: Plain-Secret-Qq7}",
        calendars="[{type: caldav, url: 'https://dav.example.com/', "
        "password_env: AV_TEST_IMAP_PW}]",
    )
    config = load(tmp_path, text)
    assert config.imap.secret.reveal() == "cmd-Secret-Zz9"
    assert config.smtp.secret.reveal() == "Plain-Secret-Qq7"
    shown = "\n".join(
        [
            repr(config),
            str(config),
            f"{config}",
            repr(config.imap),
            str(config.smtp.secret),
            *config.warnings,
        ]
    )
    for secret in ("cmd-Secret-Zz9", "Plain-Secret-Qq7", IMAP_PW):
        assert secret not in shown
    assert {"cmd-Secret-Zz9", "Plain-Secret-Qq7", IMAP_PW} <= set(config.secrets())


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    text = flow(
        imap=imap("port: imap", secret="password: Plain-Secret-Ww3"),
        smtp="{host: smtp.example.com, password: Plain-Secret-Ee4, password_env: AV_TEST_SMTP_PW}",
    )
    error = error_of(write_config(tmp_path, text))
    assert error.lines() == located(
        tmp_path,
        "2: imap.port: expected an integer 1-65535, got 'imap'",
        "3: smtp.password: give only one of password_env, password",
    )
    for shown in (str(error), repr(error), *error.args):
        assert "Plain-Secret" not in str(shown)
    assert SMTP_PW not in str(error)


@pytest.mark.parametrize("written", ["12345678", "2026-01-31", "0123", "1e5"])
def test_unquoted_password_that_yaml_reads_as_another_type_is_taken_as_written(
    tmp_path: Path, written: str
) -> None:
    text = f"account: {ACCOUNT}\nimap:\n  host: imap.example.com\n  password: {written}\n"
    text += f"smtp: {SMTP}\n"
    config = load_config(write_config(tmp_path, text))
    assert config.imap.secret.reveal() == written


LEAKY_PASSWORDS = [
    pytest.param("!Hunter2x", "Hunter2x", id="starts-with-a-tag-mark"),
    pytest.param("*Hunter2x", "Hunter2x", id="starts-with-an-alias-mark"),
    pytest.param("[Hunter2x", "Hunter2x", id="starts-with-a-bracket"),
]


@pytest.mark.parametrize(("written", "secret"), LEAKY_PASSWORDS)
def test_unquoted_password_that_yaml_cannot_read_is_not_echoed(
    tmp_path: Path, written: str, secret: str
) -> None:
    text = f"account: {ACCOUNT}\nimap:\n  host: imap.example.com\n  password: {written}\n"
    text += f"smtp: {SMTP}\n"
    lines = problems(tmp_path, text)
    assert lines and all(line.startswith(f"{tmp_path / 'config.yaml'}:4: ") for line in lines)
    assert secret not in "\n".join(lines)


def test_unreadable_value_is_one_line_without_the_parser_snippet(tmp_path: Path) -> None:
    # Today str(ConstructorError): a second and third line quoting the source, "<unicode string>".
    lines = problems(tmp_path, flow(log_level="!!python/name:os.system x"))
    assert len(lines) == 1, lines
    assert lines[0].startswith(located(tmp_path, "4: ")[0])
    assert "could not determine a constructor" in lines[0]
    assert "\n" not in lines[0] and "<unicode string>" not in lines[0]


# -- the example file and the built-in defaults ---------------------------------------------------


def test_example_loads_and_documents_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERVIEW_IMAP_PASSWORD", "example-imap")
    monkeypatch.setenv("AFTERVIEW_SMTP_PASSWORD", "example-smtp")
    example = load_config(EXAMPLE)
    assert example.warnings == ()
    assert example.account.email == "you@example.com"
    assert example.account.timezone == ZoneInfo("Europe/Berlin")
    assert example.imap.secret.reveal() == "example-imap"
    assert example.smtp.secret.reveal() == "example-smtp"

    built_in = load(tmp_path, MINIMAL.replace("me@example.com", "you@example.com"))
    assert example.approval == built_in.approval
    assert example.approval.token_ttl == built_in.approval.token_ttl
    assert example.followup == built_in.followup
    assert example.quiet == built_in.quiet
    assert example.digest == built_in.digest
    assert example.sync == built_in.sync
    assert example.log_level == built_in.log_level
    assert example.state_dir == built_in.state_dir
    assert example.calendars == built_in.calendars
    for name in ("imap", "smtp"):
        ours, theirs = getattr(example, name), getattr(built_in, name)
        assert (ours.port, ours.security, ours.username, ours.ca_file, ours.insecure) == (
            theirs.port,
            theirs.security,
            theirs.username,
            theirs.ca_file,
            theirs.insecure,
        )
    assert example.imap.folders == built_in.imap.folders
    assert example.smtp.saves_sent_copy == built_in.smtp.saves_sent_copy


# -- frozen ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "attribute"),
    [
        (lambda c: c, "log_level"),
        (lambda c: c.account, "email"),
        (lambda c: c.imap, "port"),
        (lambda c: c.imap.folders, "inbox"),
        (lambda c: c.smtp, "host"),
        (lambda c: c.imap.secret, "source"),
        (lambda c: c.approval, "approvers"),
        (lambda c: c.followup, "daily_send_cap"),
        (lambda c: c.quiet, "quiet_after"),
        (lambda c: c.digest, "at"),
        (lambda c: c.sync, "idle"),
    ],
)
def test_config_objects_are_frozen(minimal: Config, part: object, attribute: str) -> None:
    target = part(minimal)  # type: ignore[operator]
    before = getattr(target, attribute)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(target, attribute, "changed")
    assert getattr(target, attribute) == before


# -- hostile YAML ---------------------------------------------------------------------------------


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        bomb += f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]\n"
    path = write_config(tmp_path, flow() + bomb)
    started = time.monotonic()
    lines = error_of(path).lines()
    assert time.monotonic() - started < 5
    assert len(lines) == 1, lines
    found = re.fullmatch(
        re.escape(f"{path}:")
        + r"(\d+)"
        + re.escape(": the file expands to more than 20000 values (aliases nested too deep?)"),
        lines[0],
    )
    assert found is not None, lines
    assert 4 <= int(found[1]) <= 12


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    # Today: RecursionError out of load_config.
    lines = problems(tmp_path, flow(x="&loop [*loop]"))
    assert len(lines) == 1, lines
    assert lines[0].startswith(located(tmp_path, "4: ")[0])


def test_deep_nesting_is_refused_at_the_line_where_it_goes_too_deep(tmp_path: Path) -> None:
    # Today: RecursionError out of PyYAML's composer (or our converter).
    text = flow(x="[" * 5000 + "]" * 5000)
    assert problems(tmp_path, text) == located(
        tmp_path, "4: values nested more than 50 levels deep"
    )


def test_merge_key_is_refused(tmp_path: Path) -> None:
    text = flow() + "defaults: &defaults {idle: false}\nsync:\n  <<: *defaults\n"
    assert problems(tmp_path, text) == located(
        tmp_path, "6: merge keys ('<<') are not supported in the config"
    )


def test_a_character_yaml_refuses_is_named_with_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, flow() + "log_level: in\x00fo\n") == located(
        tmp_path,
        "4: not valid YAML: unacceptable character #x0000: special characters are not allowed",
    )


SURROGATE = "(contains a lone surrogate (an escape like \\ud800))"


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (  # Today: "ValueError: embedded null byte" out of load_config.
            {"imap": imap("", secret='password_file: "/tmp/pw\\0x"')},
            "2: imap.password_file: expected a file or folder path, got '/tmp/pw\\x00x' "
            "(contains a NUL character)",
        ),
        (  # Today: loaded, and the first log line about the account raises.
            {"account": '{email: "\\ud800@example.com"}'},
            f"1: account.email: expected an email address like you@example.com, got "
            f"'\\ud800@example.com' {SURROGATE}",
        ),
        (
            {"state_dir": '"/tmp/a\\0b"'},
            "4: state_dir: expected a file or folder path, got '/tmp/a\\x00b' "
            "(contains a NUL character)",
        ),
        ({"x": '{"\\udfff": 1}'}, f"4: a key that {SURROGATE[1:-1]}"),
        (  # Today: read as a plain mapping.
            {"sync": "!!python/object/new:dict {idle: true}"},
            "4: sync: expected a mapping of settings, got could not determine a constructor "
            "for the tag 'tag:yaml.org,2002:python/object/new:dict'",
        ),
        (  # Today: loaded; urllib refuses it at every refresh.
            {"calendars": '[{type: ics_url, url: "https://cal.example.test/a.ics\\r\\nHost: x"}]'},
            "4: calendars[0].url: expected an http:// or https:// URL, got "
            "'https://cal.example.test/a.ics\\r\\nHost: x'",
        ),
    ],
    ids=[
        "nul-in-password-file",
        "surrogate-in-email",
        "nul-in-state-dir",
        "surrogate-in-key",
        "python-object-new",
        "line-break-in-url",
    ],
)
def test_values_no_path_header_or_log_line_can_hold_are_refused_at_their_key(
    tmp_path: Path, sections: dict[str, str], expected: str
) -> None:
    assert problems(tmp_path, flow(**sections)) == located(tmp_path, expected)


def test_a_flood_of_keys_is_refused_before_it_is_all_read(tmp_path: Path) -> None:
    keys = "".join(f"k{n}: {n}\n" for n in range(60_000))  # under 1 MiB
    [line] = problems(tmp_path, flow() + keys)
    assert re.fullmatch(re.escape(f"{tmp_path}/config.yaml:") + r"99\d\d: the file holds more "
                        r"than 20000 values", line), line  # fmt: skip


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_config_path_that_never_ends_is_read_no_further_than_the_cap() -> None:
    # Today: read until memory runs out.
    assert error_of("/dev/zero").lines() == ["/dev/zero: the file is larger than 1024 KiB"]


def test_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    text = flow() + "#" * (1 << 20) + "\n"
    assert problems(tmp_path, text) == located(tmp_path, " the file is larger than 1024 KiB")


# -- guards added after review: settings that would make the daemon misbehave ---------------


def test_weekend_of_seven_days_is_refused(tmp_path: Path) -> None:
    text = flow(followup="{weekend: [mon, tue, wed, thu, fri, sat, sun]}")
    assert problems(tmp_path, text) == located(
        tmp_path,
        "4: followup.weekend: expected a list of day names like [sat, sun], got a list "
        "(that leaves no business days)",
    )


def test_host_with_port_is_refused(tmp_path: Path) -> None:
    text = flow(imap=IMAP.replace("imap.example.com", "imap.example.com:993"))
    assert problems(tmp_path, text) == located(
        tmp_path,
        "2: imap.host: expected a host name like mail.example.com, got 'imap.example.com:993' "
        "(without ':port'; the port has its own key)",
    )


def test_poll_interval_has_a_floor(tmp_path: Path) -> None:
    assert problems(tmp_path, flow(sync="{poll_interval: 0s}")) == located(
        tmp_path, "4: sync.poll_interval: expected at least 10s, got 0s"
    )


def test_password_command_in_a_file_others_can_change_is_refused(tmp_path: Path) -> None:
    command = script(tmp_path, "pw.sh", "#!/bin/sh\necho from-command\n")
    text = flow(imap=imap("", f"password_command: [{command}]"))
    assert problems(tmp_path, text, mode=0o620) == located(
        tmp_path,
        f"2: imap.password_command: group or others can change {tmp_path / 'config.yaml'}, "
        f"and it names a command to run: run 'chmod 600 {tmp_path / 'config.yaml'}'",
    )


def test_relative_password_command_runs_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(tmp_path, "pw.sh", "#!/bin/sh\necho relative-secret\n")
    monkeypatch.chdir("/")
    config = load(tmp_path, flow(imap=imap("", "password_command: [./pw.sh]")))
    assert config.imap.secret.reveal() == "relative-secret"


def test_quiet_threads_mute_list_and_gmail_label(tmp_path: Path) -> None:
    config = load(tmp_path, flow(quiet="{mute: [recruiter@agency.example, '@spam.example'], "
                                 "label: false}"))  # fmt: skip
    assert config.quiet.mute == ("recruiter@agency.example", "spam.example")
    assert config.quiet.label is None
    assert load(tmp_path, flow()).quiet.label == "Follow up"


def test_a_mute_entry_that_is_neither_address_nor_domain_is_named(tmp_path: Path) -> None:
    lines = problems(tmp_path, flow(quiet="{mute: [agency.example, 'not a domain']}"))
    assert len(lines) == 1, lines
    assert "quiet.mute" in lines[0] and "'not a domain'" in lines[0], lines
