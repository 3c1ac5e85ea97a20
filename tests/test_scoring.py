"""Scoring of every scored type, worked by hand against the rules in question_banks/FORMAT.md."""

from __future__ import annotations

import pytest

from toolkit.scoring import score, score_attempt


@pytest.mark.parametrize(
    ("question_id", "response", "points"),
    [
        ("consent", True, 1), ("consent", False, 0), ("consent", "true", 0), ("consent", 1, 0),
        ("kiln", "tip", 1), ("kiln", "som", 0),
        ("border", "som", 1), ("border", "tip", 0),
        # multiple: (right chosen - wrong chosen) / right options, never below 0
        ("elements", ["act", "means", "purpose"], 1),
        ("elements", ["act", "means"], 2 / 3),
        ("elements", ["act", "means", "purpose", "border"], 2 / 3),
        ("elements", ["act", "border"], 0),
        ("elements", ["border"], 0),
        ("elements", "act", 0),
        # ordering: fraction of items in their right position
        ("nrm", ["identify", "screen", "refer", "protect"], 1),
        ("nrm", ["screen", "identify", "refer", "protect"], 0.5),
        ("nrm", ["protect", "refer", "screen", "identify"], 0),
        ("nrm", ["identify"], 0.25),
        # matching: fraction of items matched right
        ("agencies", {"internal": "police", "smuggling": "fia"}, 1),
        ("agencies", {"internal": "fia", "smuggling": "fia"}, 0.5),
        ("agencies", {}, 0),
        # numeric: within value ± tolerance
        ("age", 18, 1), ("age", "18", 1), ("age", 18.0, 1), ("age", 17, 0), ("age", "eighteen", 0),
        ("consent", None, 0), ("nrm", None, 0),
    ],
)
def test_each_type_scores_as_documented(all_types_bank, question_id, response, points):
    s = score(all_types_bank.question(question_id), response)
    assert s.points == pytest.approx(points, abs=1e-6)
    assert s.max_points == 1


def test_unscored_types_have_no_score(all_types_bank):
    assert score(all_types_bank.question("confident"), "4") is None
    assert score(all_types_bank.question("comment"), "Tell us more") is None


def test_numeric_tolerance(all_types_bank):
    from dataclasses import replace

    q = replace(all_types_bank.question("age"), key={"value": 10.0, "tolerance": 0.5})
    assert score(q, 10.5).points == 1
    assert score(q, 9.4).points == 0


def test_points_scale_the_fraction(all_types_bank):
    from dataclasses import replace

    q = replace(all_types_bank.question("nrm"), points=4.0)
    s = score(q, ["screen", "identify", "refer", "protect"])
    assert (s.points, s.max_points) == (2.0, 4.0)


def test_attempt_total_counts_unanswered_as_zero_and_skips_unscored(all_types_bank):
    total = score_attempt(all_types_bank.questions, {"consent": True, "kiln": "tip", "elements": ["act", "means"],
                                                     "confident": "5", "comment": "x"})
    assert total.max_points == 7  # nine questions, two of them not scored
    assert total.points == pytest.approx(2 + 2 / 3)
