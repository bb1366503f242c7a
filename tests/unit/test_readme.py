"""The README as a newcomer follows it: every `afterview` command it shows parses with the real
parser, every `make` target it names exists, every YAML snippet is a config `check-config`
accepts, and the configuration reference lists exactly the keys of `config.example.yaml`.

Each check reads text and returns its problems, so the last tests can show that each one
catches a broken README: a check that cannot fail proves nothing.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shlex
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.cli import build_parser
from daemon.config import CALENDAR_TYPES, SECRET_KEYS, ConfigError, load_config
from tests.cli import ROOT

README = ROOT / "README.md"
EXAMPLE = ROOT / "config.example.yaml"
MAKEFILE = ROOT / "Makefile"

# A synopsis names its arguments in capitals (`--now ISO8601`, `ID`); to parse it, each is given
# a value its option accepts. A capitalised word not listed here is taken literally.
PLACEHOLDERS = {
    "PATH": "/tmp/afterview-readme.yaml",
    "LEVEL": "info",
    "ISO8601": "2026-11-20T12:00:00+00:00",
    "FILE": "invite.eml",
    "DURATION": "60d",
    "ID": "1",
    "P": "gmail",
    "NAME": "gmail",
    "ADDR": "you@example.com",
    "EMAIL": "you@example.com",
    "HOST": "mail.example.com",
    "PORT": "993",
    "CMD": "pass show mail",
    "VAR": "AFTERVIEW_PASSWORD",
    "URL": "https://calendar.example.com/private.ics",
    "WHEN": "2026-12-03T15:00",
    "LENGTH": "45m",
}
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>"}
SHELL_BLOCKS = {"", "sh", "shell", "bash", "console"}
SECRET_OPTIONS = {*SECRET_KEYS, "oauth2_token_command"}

# Fragments (snippets without `account`) are checked inside this config, the smallest valid one.
BASE_CONFIG: dict[str, Any] = {
    "account": {"email": "you@example.com", "timezone": "UTC"},
    "imap": {"host": "imap.example.com", "password_env": "README_TEST_PASSWORD"},
    "smtp": {"host": "smtp.example.com", "password_env": "README_TEST_PASSWORD"},
}


# -- reading markdown ---------------------------------------------------------------------------

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block."""
    return [(m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(markdown)]


def inline_code(markdown: str) -> list[str]:
    """Every `code span` outside the fenced blocks, its line breaks read as spaces."""
    prose = _FENCE.sub("", markdown)
    return [" ".join(span.split()) for span in re.findall(r"`([^`\n]+(?:\n[^`\n]+)*)`", prose)]


def shell_lines(markdown: str) -> Iterator[str]:
    """The lines of shell blocks, continuations joined and a `$ ` prompt removed."""
    for info, body in fenced_blocks(markdown):
        if info not in SHELL_BLOCKS:
            continue
        joined = re.sub(r"\\\n", " ", body)
        for line in joined.splitlines():
            yield line.strip().removeprefix("$ ")


def _words(text: str, program: str, *, comments: bool) -> list[str] | None:
    """The words of a command line that runs `program` (perhaps under sudo), up to the first
    shell operator; None for any other line, and for the program's bare name (`afterview` in a
    sentence names the program, it is no command line)."""
    first = text.split()[:3]
    if len(first) < 2 or (first[0] != program and first[:2] != ["sudo", program]):
        return None
    if first[0] == "sudo" and len(first) < 3:
        return None
    words = shlex.split(text, comments=comments)
    words = words[1:] if words[0] == "sudo" else words
    cut = next((i for i, w in enumerate(words) if w in SHELL_OPERATORS), len(words))
    return words[:cut]


def command_lines(markdown: str, program: str) -> list[tuple[str, list[str]]]:
    """(as written, words) of every command line running `program`: shell lines of the code
    blocks and code spans in the text."""
    found = []
    candidates = [(line, True) for line in shell_lines(markdown)]
    candidates += [(span, False) for span in inline_code(markdown)]
    for text, comments in candidates:
        try:
            words = _words(text, program, comments=comments)
        except ValueError as exc:  # unbalanced quotes
            found.append((text, [program, f"<unreadable: {exc}>"]))
            continue
        if words is not None:
            found.append((text, words))
    return found


def expand(words: list[str]) -> list[list[str]]:
    """A synopsis as the command lines it stands for: `[--json]` taken, `ignore|done` both
    ways, placeholders given values, a trailing `...` dropped."""
    choices: list[list[str]] = []
    for word in words:
        bare = word.replace("[", "").replace("]", "")
        if bare in ("", "..."):
            continue
        options = bare.split("|") if bare != "|" else [bare]
        choices.append([PLACEHOLDERS.get(o.removesuffix("..."), o) for o in options])
    return [list(line) for line in itertools.product(*choices)]


def tables(section: str) -> list[list[list[str]]]:
    """Each markdown table in the text: its rows (the header first, no separator row), each a
    list of cells."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def section(markdown: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = markdown.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(rf"^#{{1,{level}}} ", markdown[start:], re.MULTILINE)
    return markdown[start : start + following.start()] if following else markdown[start:]


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# -- the checks ---------------------------------------------------------------------------------


def command_problems(markdown: str) -> tuple[list[str], set[str]]:
    """Every `afterview` command line that the real parser refuses; and the commands shown."""
    parser = build_parser()
    problems, shown = [], set()
    for text, words in command_lines(markdown, "afterview"):
        for argv in expand(words[1:]):
            out, err = io.StringIO(), io.StringIO()
            try:
                with redirect_stdout(out), redirect_stderr(err):
                    args = parser.parse_args(argv)
            except SystemExit as exc:
                if exc.code == 0 and {"--help", "-h", "--version"} & set(argv):
                    continue
                why = err.getvalue().strip().splitlines()[-1:] or [f"exit {exc.code}"]
                problems.append(f"`{text}` as {argv}: {why[0]}")
                continue
            if getattr(args, "handler", None) is None:
                problems.append(f"`{text}`: names no command")
                continue
            shown.add(args.command)
    return problems, shown


def makefile_targets(makefile: str) -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+)[ \t]*:(?!=)", makefile, re.MULTILINE))


def make_problems(markdown: str, makefile: str) -> list[str]:
    targets = makefile_targets(makefile)
    problems = []
    for text, words in command_lines(markdown, "make"):
        for target in words[1:]:
            if not target.startswith("-") and "=" not in target and target not in targets:
                problems.append(f"`{text}`: the Makefile has no target {target!r}")
    return problems


def _merge(base: dict[str, Any], snippet: dict[str, Any]) -> dict[str, Any]:
    """`snippet` over `base`, section by section; a section that names its own secret option
    drops the base's (a server takes exactly one)."""
    merged = dict(base)
    for key, value in snippet.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            inner = dict(merged[key])
            if SECRET_OPTIONS & value.keys():
                inner = {k: v for k, v in inner.items() if k not in SECRET_OPTIONS}
            merged[key] = _merge(inner, value)
        else:
            merged[key] = value
    return merged


def _mappings(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _mappings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mappings(item)


def _provide_secrets(config: dict[str, Any], home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the snippet's secret options point at, made to exist in `home` (the test's
    HOME, its `bin` first on PATH): the variable set, a stub program that prints a password,
    the file written."""
    bin_dir = home / "bin"
    for mapping in _mappings(config):
        if isinstance(mapping.get("password_env"), str):
            monkeypatch.setenv(mapping["password_env"], "readme-test-secret")
        for key in ("password_command", "oauth2_token_command"):
            command = mapping.get(key)
            argv = shlex.split(command) if isinstance(command, str) else command
            if isinstance(argv, list) and argv and "/" not in str(argv[0]):
                stub = bin_dir / str(argv[0])
                stub.write_text("#!/bin/sh\necho readme-test-secret\n")
                stub.chmod(0o755)
        secret_file = mapping.get("password_file")
        if isinstance(secret_file, str) and secret_file.startswith("~/"):
            path = home / secret_file[2:]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("readme-test-secret\n")
            path.chmod(0o600)


def yaml_problems(markdown: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ```yaml block that is not a valid config. One that names `account` is a whole
    config file and must be valid as it stands; any other is a fragment, checked inside
    BASE_CONFIG. Problems list the snippet's first line and what load_config said."""
    problems = []
    blocks = [body for info, body in fenced_blocks(markdown) if info in ("yaml", "yml")]
    (workdir / "bin").mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(workdir / "bin"), prepend=os.pathsep)
    monkeypatch.setenv("HOME", str(workdir))
    monkeypatch.setenv("README_TEST_PASSWORD", "readme-test-secret")
    for number, body in enumerate(blocks, 1):
        head = body.strip().splitlines()[0] if body.strip() else "(empty)"
        try:
            snippet = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            problems.append(f"yaml block {number} ({head}): not YAML: {exc}")
            continue
        if not isinstance(snippet, dict):
            problems.append(f"yaml block {number} ({head}): not a mapping of config sections")
            continue
        whole = "account" in snippet
        config = snippet if whole else _merge(BASE_CONFIG, snippet)
        path = workdir / f"readme-{number}.yaml"
        path.write_text(body if whole else yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        _provide_secrets(config, workdir, monkeypatch)
        try:
            load_config(path)
        except ConfigError as exc:
            problems += [f"yaml block {number} ({head}): {line}" for line in exc.lines()]
    return problems


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    found: dict[str, Any] = {}
    for key, inner in value.items():
        found |= _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    return found


def reference_problems(markdown: str, example: str) -> list[str]:
    """The reference under "### Configuration reference" against config.example.yaml:

    - the `key` table names exactly the keys the example sets (dotted: `imap.folders.sent`),
      each once; a default written as one code literal is the example's value;
    - the `secret option` table names exactly the secret options load_config knows, and the
      `calendar type` table its calendar types; the example names each of them (in comments,
      as a server takes only one and the example watches no calendar).
    """
    try:
        text = section(markdown, "### Configuration reference")
    except ValueError:
        return ["the README has no '### Configuration reference' section"]
    examples = _flatten(yaml.safe_load(example))
    problems: list[str] = []
    seen: dict[str, list[str]] = {}
    for rows in tables(text):
        kind, body = rows[0][0], rows[1:]
        seen[kind] = []
        for row in body:
            names = code_spans(row[0])
            if not names:
                problems.append(f"{kind} table: a row without a `name`: {row[0]!r}")
            seen[kind] += names
            default = re.fullmatch(r"`([^`]*)`", row[1]) if kind == "key" else None
            for name in names:
                if kind != "key" or name not in examples or default is None:
                    continue
                written = yaml.safe_load(default.group(1))
                if written != examples[name]:
                    problems.append(
                        f"{name}: the README's default {default.group(1)!r} is not the "
                        f"example's {examples[name]!r}"
                    )
    expected = {
        "key": (set(examples), "config.example.yaml sets"),
        "secret option": (SECRET_OPTIONS, "load_config knows"),
        "calendar type": (set(CALENDAR_TYPES), "load_config knows"),
    }
    for kind in seen.keys() - expected.keys():
        problems.append(f"a table headed {kind!r}: expected one of {sorted(expected)}")
    for kind, (wanted, source) in expected.items():
        if kind not in seen:
            problems.append(f"no {kind!r} table in the configuration reference")
            continue
        names = seen[kind]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{kind} {name} is listed twice")
        for name in sorted(set(names) - wanted):
            problems.append(f"{kind} {name} is documented but {source} no such {kind}")
        for name in sorted(wanted - set(names)):
            problems.append(f"{kind} {name}: {source} it, the README's reference does not")
    mentioned = [f"{n}:" for n in SECRET_OPTIONS] + [f"type: {t}" for t in CALENDAR_TYPES]
    for words in sorted(mentioned):
        if words not in example:
            problems.append(f"config.example.yaml never mentions {words!r}")
    return problems


# -- the README ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_every_afterview_command_shown_parses_and_every_command_is_shown(readme: str) -> None:
    problems, shown = command_problems(readme)
    assert problems == []
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    assert shown == set(commands), "commands the README never shows a line for"


def test_every_make_target_shown_exists(readme: str) -> None:
    assert make_problems(readme, MAKEFILE.read_text()) == []
    assert command_lines(readme, "make"), "the README shows no make command: the check is blind"


def test_every_yaml_snippet_is_a_valid_config(
    readme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert yaml_problems(readme, tmp_path, monkeypatch) == []
    assert any(info == "yaml" for info, _ in fenced_blocks(readme))


def test_the_configuration_reference_matches_the_example(readme: str) -> None:
    assert reference_problems(readme, EXAMPLE.read_text(encoding="utf-8")) == []


# -- the checks can fail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Run `afterview frobnicate` now.", "invalid choice: 'frobnicate'"),
        ("```sh\nafterview run --twice   # a comment\n```", "unrecognized arguments: --twice"),
        ("`afterview status --now yesterday`", "expected an ISO 8601 time"),
        ("`afterview interview ignore|forget ID`", "invalid choice: 'forget'"),
        ("`afterview thread mute`", "required: ID"),
        ("`afterview --config x.yaml`", "names no command"),
        ("`afterview init --provider aol`", "invalid choice: 'aol'"),
    ],
)
def test_a_wrong_command_is_caught(markdown: str, expected: str) -> None:
    problems, _ = command_problems(markdown)
    assert len(problems) == 1 and expected in problems[0], problems


def test_synopses_and_real_lines_both_parse() -> None:
    markdown = (
        "`afterview [--config PATH] [--log-level LEVEL] check-config [--connect]`, "
        "`afterview export --csv|--ics [--out FILE]`, `afterview --help`, "
        "`sudo afterview --config /etc/afterview/alice.yaml\nstatus`\n"
        "```sh\n$ afterview init --yes --email you@example.com \\\n"
        '  --password-command "pass show mail"  # a comment\n'
        "afterview status --json | jq .notes\n```\n"
    )
    problems, shown = command_problems(markdown)
    assert problems == []
    assert shown == {"check-config", "export", "status", "init"}


def test_a_missing_make_target_is_caught() -> None:
    makefile = "test: x\n\tpytest\nSTAMP := y\n"
    markdown = "`make test` and\n```sh\nmake deploy   # ship it\nmake PYTHON=python3.11 test\n```"
    assert make_problems(markdown, makefile) == [
        "`make deploy   # ship it`: the Makefile has no target 'deploy'"
    ]
    assert make_problems("`make STAMP`", makefile) == [
        "`make STAMP`: the Makefile has no target 'STAMP'"
    ]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("imap: {hots: imap.example.com}", "imap.hots: unknown key"),
        ("followup: {daily_send_cap: many}", "followup.daily_send_cap: expected an integer"),
        ("account: {email: you@example.com}", "imap.host: required"),
        ("imap: {host: imap.example.com, password_env: X, password_file: ~/pw}", "give only one"),
        ("- just a list", "not a mapping"),
        ("quiet: {mute: [", "not YAML"),
    ],
)
def test_an_invalid_snippet_is_caught(
    snippet: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = yaml_problems(f"```yaml\n{snippet}\n```\n", tmp_path, monkeypatch)
    assert any(expected in p for p in problems), problems


def test_a_fragment_is_checked_with_its_own_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = "smtp: {host: smtp.example.com, password_command: [pass, show, mail/smtp]}"
    assert yaml_problems(f"```yaml\n{snippet}\n```\n", tmp_path, monkeypatch) == []


def _edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("| `sync.idle` |", "| `sync.idel` |"), "key sync.idel is documented but"),
        (("| `sync.idle` |", "| `sync.idle`, `sync.idle` |"), "key sync.idle is listed twice"),
        (("| `quiet.flag` | `false` |", "| `quiet.flag` | `true` |"), "quiet.flag: the README's"),
        (('| `digest.at` | `"08:00"` |', '| `digest.at` | `"09:00"` |'), "digest.at: the"),
        (("| `password_file` |", "| `password_path` |"), "secret option password_file: load"),
        (("| `ics_file` |", "| `ics_path` |"), "calendar type ics_path is documented"),
        (("| calendar type |", "| calendar |"), "a table headed 'calendar'"),
        (("### Configuration reference", "### Options"), "no '### Configuration reference'"),
    ],
)
def test_a_reference_out_of_step_is_caught(
    readme: str, edit: tuple[str, str], expected: str
) -> None:
    broken = _edited(readme, *edit)
    problems = reference_problems(broken, EXAMPLE.read_text(encoding="utf-8"))
    assert any(expected in p for p in problems), problems


def test_an_example_out_of_step_is_caught(readme: str) -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    grown = _edited(example, "  idle: true ", "  idle: true\n  jitter: 5s ")
    assert "key sync.jitter: config.example.yaml sets it, the README's reference does not" in (
        reference_problems(readme, grown)
    )
    silent = example.replace("oauth2_token_command:", "oauth2_token:")
    assert "config.example.yaml never mentions 'oauth2_token_command:'" in (
        reference_problems(readme, silent)
    )
