"""Every command's human-readable output in one language (issue 15.7): run with the locale
Korean, no English word of the console's own (a lower-case Latin word that is not data, a
code or an option) is printed; run in English, no Hangul of the console's own (the data's
names and branch names aside)."""

from __future__ import annotations

import re

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

KOREAN = {"LANG": "ko_KR.UTF-8"}

# Commands a teller, a manager, an auditor and an admin read (text output).
COMMANDS = [
    ("customer", "show", "C001", "--as", "T001"),
    ("customer", "search", "홍", "--as", "T001"),
    ("requests", "--as", "T001"),
    ("approvals", "--as", "M001"),
    ("expiring", "--as", "M001"),
    ("matrix", "--customer", "C001", "--as", "T001"),
    ("delegate", "list", "--as", "M001"),
    ("policy", "show", "--as", "A0001"),
    ("audit", "verify", "--as", "AU01"),
    ("audit", "list", "--limit", "5", "--as", "AU01"),
    ("staff", "list", "--as", "A0001"),
    ("branch", "list", "--as", "A0001"),
]
LOWER_WORD = re.compile(r"(?<![\w./@:-])[a-z]{3,}(?![\w./@-])")
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
TYPED = {"on", "off"}  # the values a person types (`policy set ... on`)


def _data_words(cli) -> set[str]:
    """Lower-case Latin words and Hangul words the world's data holds (names, devices, notes,
    branch names): printed as they are in both languages."""
    words: set[str] = set()
    for args in (("customer", "show", "C001", "--as", "T001"), ("staff", "list", "--as", "A0001"),
                 ("branch", "list", "--as", "A0001"), ("customer", "search", "홍", "--as", "T001")):
        text = cli.ok(*args, "--json").stdout
        words |= set(LOWER_WORD.findall(text)) | set(HANGUL.findall(text))
    return words


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_command_speaks_one_language(cli, args):
    data = _data_words(cli)
    korean = cli.run(*args, env=KOREAN)
    english = cli.run(*args)
    assert korean.exit_code == english.exit_code == 0, (korean.output, english.output)
    # `audit anchor` is a command to type; an event's detail is its record, as stored (JSON)
    said = re.sub(r"`[^`]*`|\{.*\}", "", korean.stdout + korean.stderr)
    leftovers = set(LOWER_WORD.findall(said)) - data - TYPED
    assert leftovers == set(), korean.output
    hangul = set(HANGUL.findall(english.stdout + english.stderr)) - data
    assert hangul == set(), english.output


def _one_language(cli, data: set[str], args, env=None) -> str:
    """Run `args` (a command that changes something) and return what it printed, checked."""
    result = cli.run(*args, env=env)
    assert result.exit_code == 0, result.output
    said = re.sub(r"`[^`]*`|\{.*\}", "", result.stdout + result.stderr)
    if env is KOREAN:
        assert set(LOWER_WORD.findall(said)) - data - TYPED == set(), result.output
    else:
        assert set(HANGUL.findall(said)) - data == set(), result.output
    return result.stdout


@pytest.mark.parametrize("env", [KOREAN, None], ids=["ko", "en"])
def test_the_workflow_speaks_one_language(cli, env):
    """A teller asks, the manager approves; a delegation granted and ended; a policy change."""
    data = _data_words(cli) | {"분실"}  # the note typed
    cli.registered("C001", "mts")
    made = _one_language(cli, data, ("request", "revoke", "--customer", "C001", "--channel",
                                     "mts", "--reason", "lost_device", "--note", "분실",
                                     "--as", "T001"), env)
    request_id = re.search(r"#(\d+)", made).group(1)
    _one_language(cli, data, ("approve", request_id, "--as", "M001"), env)
    _one_language(cli, data, ("customer", "show", "C001", "--as", "T001"), env)
    _one_language(cli, data, ("policy", "set", "idle_lock_minutes", "5", "--as", "A0001"), env)
