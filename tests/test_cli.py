"""The `toolkit` command: bank check's exit codes and messages, and help with an example everywhere."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from helpers import ROOT, TEST_BANKS

from toolkit.cli import main


def test_bank_check_accepts_valid_banks():
    result = CliRunner().invoke(main, ["bank", "check", str(TEST_BANKS)])
    assert result.exit_code == 0, result.output
    assert "ok  " in result.output and "all-types" in result.output


def test_bank_check_rejects_a_broken_bank_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nid: b\ntitle: B\nkind: test\nobjectives: [{id: O1, text: T}]\nquestions:\n"
                   "  - {id: q, type: truefalse, objectives: [O1], text: T, key: maybe}\n")
    result = CliRunner().invoke(main, ["bank", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7: question 'q': key must be true or false, not 'maybe'" in result.output


def test_bank_check_on_broken_yaml_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nid: [oops\n")
    result = CliRunner().invoke(main, ["bank", "check", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and f"{bad}:3: not valid YAML" in result.output


def test_the_shipped_banks_pass_the_check():
    result = CliRunner().invoke(main, ["bank", "check", str(ROOT / "question_banks")])
    assert result.exit_code == 0, result.output


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize(("path", "cmd"), list(_commands(main)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_with_an_example_and_is_in_the_readme(path, cmd):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"toolkit {' '.join(path)} --help has no example"
    if not isinstance(cmd, click.Group):
        assert f"toolkit {' '.join(path)}" in (ROOT / "README.md").read_text(), "undocumented in README.md"


def test_demo_seeds_a_session_with_an_open_pretest(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    from toolkit import config
    from toolkit.store import Store

    store = Store(config.sqlite_url(tmp_path))
    code = result.output.strip().split()[-1].rstrip(".")
    session = store.find_session_by_code(code)
    current = store.current_activity(session["id"])
    assert current["kind"] == "pretest" and current["state"] == "open"


@pytest.mark.parametrize("module", ["toolkit", "toolkit.cli"])
def test_python_dash_m_offers_every_command_of_the_toolkit_command(module):
    """The commands defined in their own modules (roster, workshop, report, bank import …) are registered before
    `main()` runs, so `python -m toolkit.cli` is not a toolkit without them."""
    import subprocess
    import sys

    from toolkit.cli import main

    shown = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=True).stdout
    listed = {line.split()[0] for line in shown.split("Commands:", 1)[1].splitlines() if line.strip()}
    assert listed == set(main.commands)
    assert {"roster", "workshop", "report"} <= listed
