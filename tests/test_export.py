"""Exports: the tidy long CSV of answers, and a workbook with one sheet per table."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import by_place

from toolkit.analysis import gain_summary, pre_post_scores
from toolkit.cli_reports import export_command
from toolkit.export import ExportError, export, tidy_answers
from toolkit.results import load_results


@pytest.fixture(scope="module")
def quetta(series):
    return by_place(load_results(series), "Quetta")


def test_the_csv_has_one_row_per_participant_and_question(quetta, tmp_path):
    path = export(quetta, "csv", tmp_path / "answers.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = pd.read_csv(path, keep_default_na=False)
    assert len(rows) == len(quetta.answers) == (23 + 22) * 26
    assert {"participant_id", "activity_kind", "question_id", "objective", "points", "max_points", "response",
            "answered", "sex", "organisation", "rank"} <= set(rows.columns)
    assert not {"display_name", "token"} & set(rows.columns)  # no names, no personal links
    # the points give the same scores as the analysis on the store's frame
    from_csv = pre_post_scores(rows.assign(participant_id=rows["participant_id"].astype(str)))
    direct = pre_post_scores(quetta.answers)
    assert from_csv["gain"].tolist() == pytest.approx(direct["gain"].tolist())
    # responses: text as it is, the rest as JSON that reads back to the answer saved
    multiple = rows[(rows["question_type"] == "multiple") & rows["answered"]].iloc[0]
    original = quetta.answers.set_index(["participant_id", "activity_id", "question_id"]).loc[
        (multiple["participant_id"], multiple["activity_id"], multiple["question_id"]), "response"]
    assert json.loads(multiple["response"]) == original
    truefalse = rows[(rows["question_type"] == "truefalse") & rows["answered"]]["response"]
    assert set(truefalse) <= {"true", "false"}
    assert (rows.loc[~rows["answered"], "response"] == "").all() and (rows.loc[~rows["answered"], "points"] == 0).all()
    women = set(quetta.participants.loc[quetta.participants["sex"] == "female", "participant_id"])
    assert (rows["sex"] == "female").sum() == quetta.answers["participant_id"].isin(women).sum() > 0

def test_the_workbook_has_one_sheet_per_table(quetta, tmp_path):
    path = export(quetta, "xlsx", tmp_path / "quetta.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"participants", "answers", "survey", "confidence", "scores", "gain_summary", "paired_tests",
            "gain_by_objective", "by_sex", "by_organisation", "by_rank", "item_statistics", "reliability",
            "likert", "confidence_change", "open_answers"} <= set(sheets)
    assert len(sheets["answers"]) == len(quetta.answers)
    summary = sheets["gain_summary"].set_index("statistic")
    direct = gain_summary(pre_post_scores(quetta.answers)).set_index("statistic")
    for statistic in ("pre_mean", "post_mean", "mean_gain", "class_g"):
        assert summary.at[statistic, "value"] == pytest.approx(direct.at[statistic, "value"])
        if statistic in ("mean_gain", "class_g"):
            assert summary.at[statistic, "ci_low"] == pytest.approx(direct.at[statistic, "ci_low"])
    assert sheets["by_sex"].set_index("sex").at["female", "n"] == "<5"
    assert len(sheets["participants"]) == 24 and "display_name" in sheets["participants"]
    assert "token" not in sheets["participants"]
    nameless = pd.read_excel(export(quetta, "xlsx", tmp_path / "nameless.xlsx", names=False), sheet_name="participants")
    assert "display_name" not in nameless


def test_export_command(series, tmp_path):
    code = series.list_sessions()[-1]["join_code"]
    data = str(series.sqlite_path.parent)
    run = CliRunner().invoke(export_command, ["--session", code, "--out", str(tmp_path / "q.csv"), "--data", data])
    assert run.exit_code == 0, run.output
    assert f"{(23 + 22) * 26} rows" in run.output
    run = CliRunner().invoke(export_command, ["--workshop", "Demo series 2026", "--format", "xlsx",
                                              "--out", str(tmp_path / "series.xlsx"), "--data", data])
    assert run.exit_code == 0 and "sheets" in run.output
    assert len(pd.read_excel(tmp_path / "series.xlsx", sheet_name="workshops")) == 3
    run = CliRunner().invoke(export_command, ["--session", code, "--out", str(tmp_path / "q.txt"), "--data", data])
    assert run.exit_code == 2 and "--format csv" in run.output
    with pytest.raises(ExportError):
        export(load_results(series), "pdf", tmp_path / "x.pdf")


def test_tidy_answers_joins_the_profile(quetta):
    frame = tidy_answers(quetta)
    people = quetta.participants.set_index("participant_id")
    sample = frame.sample(20, random_state=1)
    assert (sample["organisation"].to_numpy() == people.loc[sample["participant_id"], "organisation"].to_numpy()).all()


def test_the_workbook_says_which_figures_are_not_meaningful_for_a_small_group(quetta, tmp_path):
    women = quetta.participants.loc[quetta.participants["sex"] == "female", "participant_id"]
    sheets = pd.read_excel(export(quetta.select(participants=women), "xlsx", tmp_path / "three.xlsx"), sheet_name=None)
    notes = sheets["notes"].fillna("")
    assert list(notes.columns) == ["statistic", "scope", "reason"]
    intervals = notes[notes["statistic"] == "95% intervals of the mean gain and <g>"]
    assert intervals["reason"].tolist() == ["only 3 people took both tests: with fewer than 5 no interval is "
                                            "meaningful, so none is shown"]
    summary = sheets["gain_summary"].set_index("statistic")
    assert summary.at["mean_gain", "interval"] == "no meaningful interval" and pd.isna(summary.at["mean_gain", "ci_low"])
