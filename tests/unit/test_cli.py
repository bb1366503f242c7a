"""The command line as a user meets it: help, version, config discovery, exit codes, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from daemon import __version__
from daemon.cli import build_parser, main
from tests.cli import ROOT
from tests.cli import afterview as run

VALID = """\
account: {email: me@example.com}
imap: {host: imap.example.com, password_env: CLI_TEST_PW}
smtp: {host: smtp.example.com, password_env: CLI_TEST_PW}
"""


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    return sorted(actions[0].choices)  # type: ignore[arg-type]


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"afterview {__version__}"
    usage = run("--help")
    assert usage.returncode == 0
    assert "check-config" in usage.stdout and "--config PATH" in usage.stdout


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: afterview" in capsys.readouterr().out


def test_config_found_through_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(VALID)
    result = run("check-config", env={"AFTERVIEW_CONFIG": str(config), "CLI_TEST_PW": "pw-1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{config}: ok (account me@example.com")


def test_default_config_path_is_xdg(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "AFTERVIEW_CONFIG": ""}
    result = run("check-config", env=env)
    expected = tmp_path / "afterview" / "config.yaml"
    assert result.returncode == 1
    assert f"{expected}: no such file" in result.stderr


def test_invalid_config_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(VALID.replace("imap.example.com", "imap.example.com, port: imap") + "x: 1\n")
    result = run("--config", str(config), "check-config", env={"CLI_TEST_PW": "pw-1"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{config}:2: imap.port: expected an integer 1-65535, got 'imap'",
        f"{config}:4: x: unknown key",
        f"{config}: 2 problems found",
    ]
    assert result.stdout == ""


def test_plain_password_warning_is_logged_once(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(VALID.replace("password_env: CLI_TEST_PW}", "password: pw-Plain-77}", 1))
    config.chmod(0o600)
    result = run("--config", str(config), "check-config", env={"CLI_TEST_PW": "pw-1"})
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "imap.password: a plain password" in warnings[0]
    assert "pw-Plain-77" not in result.stdout + result.stderr


def test_every_command_is_documented_in_the_readme_and_every_documented_one_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `afterview")]
    commands = subcommands()
    for command in commands:
        assert any(f" {command}" in row for row in rows), f"README has no row for {command}"
    for row in rows:
        cell = re.sub(r"\[[^\]]*\]", "", row.split("|")[1]).replace("`", " ")
        words = [w for w in cell.split()[1:] if not w.startswith("-") and w.islower()]
        if words:  # the first bare word after `afterview` is the command
            assert words[0].rstrip(",") in commands, row
