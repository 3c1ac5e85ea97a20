"""`toolkit bank import` and `toolkit bank export`: thin commands, help with an example, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import ROOT

from toolkit.bank import load_bank
from toolkit.cli_formats import bank_export, bank_import

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


@pytest.fixture
def bank_group():
    """The commands as the `bank` group of `toolkit` will hold them."""

    @click.group()
    def bank():
        """Banks."""

    bank.add_command(bank_import)
    bank.add_command(bank_export)
    return bank


@pytest.mark.parametrize("command", ["import", "export"])
def test_help_has_an_example(bank_group, command):
    result = CliRunner().invoke(bank_group, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"toolkit bank {command} " in result.output


@pytest.mark.parametrize(("fixture", "fmt", "questions"), [
    ("gift-features.gift.txt", "gift", 12), ("aiken-sample.txt", "aiken", 4),
    ("moodle-all-types.xml", "moodle-xml", 9), ("kobo-form.xlsx", "xlsform", 7), ("bank-sample.csv", "csv", 12),
])
def test_import_writes_a_bank_that_passes_the_check(bank_group, tmp_path, fixture, fmt, questions):
    out = tmp_path / "imported.yaml"
    result = CliRunner().invoke(bank_group, ["import", str(FIXTURES / fixture), "--from", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: {questions} questions" in result.output and "Traceback" not in result.output
    assert len(load_bank(out).questions) == questions
    assert out.read_text(encoding="utf-8").startswith(f"# Imported from {fixture} ({fmt}) by toolkit bank import")


def test_import_options_name_the_bank_and_its_placeholder_objective(bank_group, tmp_path):
    out = tmp_path / "quiz.yaml"
    result = CliRunner().invoke(bank_group, ["import", str(FIXTURES / "aiken-sample.txt"), "--from", "aiken",
                                             "--out", str(out), "--id", "quetta-check", "--title", "Quetta check",
                                             "--kind", "check", "--objective-text", "Tell TIP from SOM"])
    assert result.exit_code == 0, result.output
    bank = load_bank(out)
    assert (bank.id, bank.title["en"], bank.kind) == ("quetta-check", "Quetta check", "check")
    assert bank.objectives[0].text["en"] == "Tell TIP from SOM"
    assert "4 question(s) got the placeholder objective O1 ('Tell TIP from SOM')" in result.output


def test_import_refuses_to_overwrite_without_force(bank_group, tmp_path):
    out = tmp_path / "quiz.yaml"
    out.write_text("mine", encoding="utf-8")
    args = ["import", str(FIXTURES / "aiken-sample.txt"), "--from", "aiken", "--out", str(out)]
    result = CliRunner().invoke(bank_group, args)
    assert result.exit_code == 1 and "exists; give --force" in result.output and out.read_text() == "mine"
    assert CliRunner().invoke(bank_group, [*args, "--force"]).exit_code == 0


@pytest.mark.parametrize(("name", "data", "fmt", "message"), [
    ("half.gift.txt", b"::a::Half written {\n=yes\n", "gift", "half.gift.txt:1: question 'a': not imported: '{' is never closed"),
    ("word.txt", "Caf\u00e9?\nA. Oui\nB. Non\nANSWER: A\n".encode("cp1252"), "aiken", "word.txt:1: the file is not UTF-8"),
    ("broken.xml", b"<quiz>\n<question>\n</quiz>\n", "moodle-xml", "broken.xml:3: not well-formed XML: mismatched tag"),
    ("empty.xlsx", b"", "xlsform", "empty.xlsx:1: the file is empty"),
    ("empty.csv", b"", "csv", "empty.csv:1: the file is empty"),
])
def test_bad_files_get_a_message_with_the_line_and_no_traceback(bank_group, tmp_path, name, data, fmt, message):
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(bank_group, ["import", str(path), "--from", fmt, "--out", str(out)])
    assert result.exit_code == 1
    assert f"{tmp_path}/{message}" in result.output and "Traceback" not in result.output
    assert f"Nothing imported from {path}" in result.output and not out.exists()


@pytest.mark.parametrize(("fmt", "name"), [("gift", "a.gift.txt"), ("moodle-xml", "a.xml"), ("xlsform", "a.xlsx"),
                                           ("csv", "a.csv")])
def test_export_writes_the_file_and_says_what_it_could_not_hold(bank_group, tmp_path, fmt, name):
    out = tmp_path / name
    bank = ROOT / "tests" / "banks" / "all-types.yaml"
    result = CliRunner().invoke(bank_group, ["export", str(bank), "--to", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and f"Wrote {out}" in result.output


def test_export_of_an_invalid_bank_prints_its_problems(bank_group, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nid: [oops\n", encoding="utf-8")
    result = CliRunner().invoke(bank_group, ["export", str(bad), "--to", "gift", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 1 and f"{bad}:3: not valid YAML" in result.output and "Traceback" not in result.output


def test_export_of_case_studies_says_there_is_nothing_to_export(bank_group, tmp_path):
    out = tmp_path / "cases.csv"
    result = CliRunner().invoke(bank_group, ["export", str(ROOT / "question_banks" / "case-studies.yaml"), "--to",
                                             "csv", "--out", str(out)])
    assert result.exit_code == 1 and "nothing to export" in result.output and not out.exists()
