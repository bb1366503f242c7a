"""`afterview init` as a user runs it: the file it writes is one the loader accepts."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import CaldavCalendar, IcsUrlCalendar, Security, load_config
from tests.cli import ROOT, afterview

SECRET = "pw-Init-Secret-31"
ENV = {"AV_INIT_PW": SECRET}

PRESETS = {
    "gmail": (("imap.gmail.com", 993, Security.SSL), ("smtp.gmail.com", 465, Security.SSL)),
    "outlook": (
        ("outlook.office365.com", 993, Security.SSL),
        ("smtp.office365.com", 587, Security.STARTTLS),
    ),
    "fastmail": (
        ("imap.fastmail.com", 993, Security.SSL),
        ("smtp.fastmail.com", 465, Security.SSL),
    ),
    "icloud": (
        ("imap.mail.me.com", 993, Security.SSL),
        ("smtp.mail.me.com", 587, Security.STARTTLS),
    ),
    "yahoo": (
        ("imap.mail.yahoo.com", 993, Security.SSL),
        ("smtp.mail.yahoo.com", 465, Security.SSL),
    ),
    "imap": (("imap.example.com", 143, Security.STARTTLS), ("smtp.example.com", 465, Security.SSL)),
}


def init(config: Path, *args: str) -> tuple[int, str, str]:
    result = afterview("--config", str(config), "init", "--yes", "--no-connect", *args, env=ENV)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("provider", sorted(PRESETS))
def test_each_provider_writes_a_config_the_loader_accepts(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "afterview" / "config.yaml"
    extra = ["--imap-host", "imap.example.com", "--imap-port", "143", "--smtp-host",
             "smtp.example.com"] if provider == "imap" else []  # fmt: skip
    code, out, err = init(
        config, "--provider", provider, "--email", "me@example.com", "--password-env",
        "AV_INIT_PW", "--timezone", "Europe/Berlin", *extra,
    )  # fmt: skip
    assert code == 0, err
    assert "Next:" in out and "run --once" in out
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    monkeypatch.setenv("AV_INIT_PW", SECRET)
    loaded = load_config(config)
    (imap_host, imap_port, imap_security), (smtp_host, smtp_port, smtp_security) = PRESETS[provider]
    assert (loaded.imap.host, loaded.imap.port, loaded.imap.security) == (
        imap_host,
        imap_port,
        imap_security,
    )
    assert (loaded.smtp.host, loaded.smtp.port, loaded.smtp.security) == (
        smtp_host,
        smtp_port,
        smtp_security,
    )
    assert loaded.imap.secret.reveal() == SECRET and loaded.smtp.secret.reveal() == SECRET
    assert loaded.account.email == "me@example.com"
    assert loaded.account.timezone.key == "Europe/Berlin"
    assert loaded.approval.approvers == ("me@example.com",)
    assert loaded.warnings == ()
    assert SECRET not in config.read_text()
    if provider == "gmail":
        assert loaded.smtp.saves_sent_copy is True
        assert loaded.imap.folders.sent is None  # SPECIAL-USE \Sent, in any language
        assert "app password" in config.read_text()
    if provider == "icloud":
        assert "app-specific password" in config.read_text()


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("# mine\n")
    args = ("--provider", "fastmail", "--email", "me@fastmail.com", "--password-env", "AV_INIT_PW")
    code, _, err = init(config, *args)
    assert code == 1
    assert f"{config} exists already" in err and "--force" in err
    assert config.read_text() == "# mine\n"
    code, _, err = init(config, *args, "--force")
    assert code == 0, err
    assert "imap.fastmail.com" in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_special_characters_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    name = "Dana \"D'Arcy\" O'Neil: # lead \\ {x}, [y] & *z* - Zoë"
    email = "dana+jobs.#1@example.com"
    code, _, err = init(
        config, "--provider", "gmail", "--email", email, "--name", name,
        "--password-env", "AV_INIT_PW", "--approver", "me@example.com",
        "--approver", "o'brien@example.com",
    )  # fmt: skip
    assert code == 0, err
    monkeypatch.setenv("AV_INIT_PW", SECRET)
    loaded = load_config(config)
    assert loaded.account.name == name
    assert loaded.account.email == email
    assert loaded.imap.username == email
    assert loaded.approval.approvers == ("me@example.com", "o'brien@example.com")


def test_commands_are_references_never_secrets(tmp_path: Path) -> None:
    script = tmp_path / "pw.sh"
    script.write_text(f"#!/bin/sh\necho {SECRET}\n")
    script.chmod(0o700)
    config = tmp_path / "config.yaml"
    code, _, err = init(
        config, "--provider", "outlook", "--email", "me@outlook.com",
        "--password-command", f"{script} 'mail account'",
        "--calendar-url", "https://dav.example.com/cal/",
        "--calendar-url", "webcal://cal.example.com/private.ics",
    )  # fmt: skip
    assert code == 0, err
    text = config.read_text()
    assert SECRET not in text and "password_command" in text
    loaded = load_config(config)
    assert loaded.imap.secret.reveal() == SECRET
    caldav, ics = loaded.calendars
    assert isinstance(caldav, CaldavCalendar) and caldav.url == "https://dav.example.com/cal/"
    assert isinstance(ics, IcsUrlCalendar) and ics.url == "https://cal.example.com/private.ics"
    assert caldav.secret is not None and caldav.secret.reveal() == SECRET
    oauth = tmp_path / "oauth.yaml"
    code, _, err = init(
        oauth, "--provider", "gmail", "--email", "me@gmail.com",
        "--oauth2-token-command", f"{script}",
    )  # fmt: skip
    assert code == 0, err
    assert load_config(oauth).imap.oauth2_token_command == (str(script),)
    assert SECRET not in oauth.read_text()


def test_missing_secret_is_explained_not_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    result = afterview(
        "--config", str(config), "init", "--yes", "--no-connect", "--email", "me@yahoo.com",
        env={"AFTERVIEW_PASSWORD": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "imap.mail.yahoo.com" in config.read_text()  # the provider guessed from the address
    assert "export AFTERVIEW_PASSWORD=" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--provider", "imap", "--email", "me@example.com"), "--imap-host"),
        (("--email", "not an address"), "--email"),
        (("--email", "me@gmail.com", "--timezone", "Mars/Base"), "unknown time zone"),
        (("--email", "me@gmail.com", "--approver", "nobody"), "approver"),
    ],
)
def test_unusable_flags_exit_1_and_write_nothing(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    code, _, err = init(config, *args)
    assert code == 1
    assert message in err
    assert not config.exists()


def test_wizard_asks_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a TTY every open question is asked; an empty answer takes the default shown."""
    config = tmp_path / "config.yaml"
    answers = [
        "me@icloud.com",  # email
        "",  # provider: icloud, guessed from the address
        'Zoë "Z" Example',  # name
        "Mars/Base",  # time zone: refused, asked again
        "America/New_York",
        "env",  # where the password is
        "AV_INIT_PW",
        "",  # approvers: the address
        "https://caldav.icloud.com/",
        "",  # no more calendars
    ]
    master, slave = pty.openpty()
    try:
        os.write(master, ("\n".join(answers) + "\n").encode())
        result = subprocess.run(
            [sys.executable, "-m", "daemon", "--config", str(config), "init", "--no-connect"],
            stdin=slave,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **ENV},
            timeout=60,
            check=False,
        )
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app-specific password" in result.stdout and "unknown time zone" in result.stdout
    monkeypatch.setenv("AV_INIT_PW", SECRET)
    loaded = load_config(config)
    assert loaded.imap.host == "imap.mail.me.com"
    assert loaded.account.name == 'Zoë "Z" Example'
    assert loaded.account.timezone.key == "America/New_York"
    assert isinstance(loaded.calendars[0], CaldavCalendar)
