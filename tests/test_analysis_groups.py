"""Figures by sex, organisation and rank with small cells suppressed; workshops and sessions compared."""

import numpy as np
import pandas as pd
import pytest

from toolkit.analysis import compare_workshops, disaggregate, headcount_by, progress_over_sessions

EXACT = 1e-12


def people(sexes, organisations=None):
    organisations = organisations or ["FIA"] * len(sexes)
    return pd.DataFrame({"participant_id": [f"p{i}" for i in range(len(sexes))], "sex": sexes,
                         "organisation": organisations, "rank": "Inspector", "match_code_hash": None})


def scores(pre, post, workshops=None):
    frame = pd.DataFrame({"participant_id": [f"p{i}" for i in range(len(pre))], "pre": pre, "post": post})
    if workshops is not None:
        frame["workshop_id"] = workshops
    return frame


def test_figures_by_sex_worked_by_hand():
    sexes = ["f"] * 5 + ["m"] * 6
    pre = [20, 40, 60, 40, 40, 50, 50, 50, 50, 50, 50]
    post = [60, 80, 80, 70, 60, 60, 50, 70, 40, 60, 80]
    got = disaggregate(scores(pre, post), people(sexes)).set_index("sex")
    # f: n 5 (45.45 %), <pre> = 200/5 = 40, <post> = 350/5 = 70, gain 30, <g> = 30/60 = 0.5
    assert got.loc["f", ["n", "pre_mean", "post_mean", "gain_mean", "band"]].tolist() == [5, 40, 70, 30, "medium"]
    assert got.loc["f", "pct"] == pytest.approx(100 * 5 / 11, abs=EXACT)
    assert got.loc["f", "class_g"] == pytest.approx(0.5, abs=EXACT)
    # m: <pre> = 50, <post> = 360/6 = 60, <g> = 10/50 = 0.2
    assert got.loc["m", "class_g"] == pytest.approx(0.2, abs=EXACT)
    assert got.loc["m", "band"] == "low"


def test_a_cell_under_five_shows_only_less_than_five_and_its_complement_is_hidden_too():
    sexes = ["f"] * 3 + ["m"] * 9
    table = disaggregate(scores([50] * 12, [70] * 12), people(sexes)).set_index("sex")
    figures = [c for c in table.columns]
    assert table.loc["f", figures].tolist() == ["<5"] * len(figures)  # never the number
    # otherwise m's n (9) and the total of 12 reported with the gain would give f's n and means away
    assert table.loc["m", figures].tolist() == ["suppressed"] * len(figures)
    plain = disaggregate(scores([50] * 12, [70] * 12), people(sexes), complementary=False).set_index("sex")
    assert plain.loc["m", "n"] == 9 and plain.loc["f", "n"] == "<5"


def test_two_small_cells_hide_each_other_and_missing_profiles_form_their_own_group():
    sexes = ["f"] * 3 + ["m"] * 8 + [None] * 2
    table = disaggregate(scores([50] * 13, [70] * 13), people(sexes)).set_index("sex")
    assert table.loc["f", "n"] == "<5" and table.loc["(not given)", "n"] == "<5"
    assert table.loc["m", "n"] == 8  # two hidden cells: neither can be worked out from the total


def test_figures_by_organisation_and_rank_use_the_same_rule():
    organisations = ["FIA"] * 6 + ["Police"] * 6
    table = disaggregate(scores([40] * 12, [70] * 12), people(["f"] * 12, organisations), by="organisation")
    assert table["n"].tolist() == [6, 6] and table["class_g"].tolist() == pytest.approx([0.5, 0.5], abs=EXACT)
    ranks = disaggregate(scores([40] * 12, [70] * 12), people(["f"] * 12), by="rank")
    assert ranks["rank"].tolist() == ["Inspector"] and ranks["pct"].tolist() == [100.0]


def test_headcount_by_sex_counts_everyone_who_took_part():
    got = headcount_by(people(["f"] * 6 + ["m"] * 14)).set_index("sex")
    # 6 of 20 = 30 %, 14 of 20 = 70 %
    assert got.loc["f", ["n", "pct"]].tolist() == [6, 30.0]
    assert got.loc["m", ["n", "pct"]].tolist() == [14, 70.0]
    small = headcount_by(people(["f"] * 2 + ["m"] * 14)).set_index("sex")
    assert small.loc["f", "pct"] == "<5" and small.loc["m", "n"] == "suppressed"


def test_workshops_of_a_series_side_by_side():
    rng = np.random.default_rng(4)
    pre = rng.integers(2, 8, 30) * 10.0
    post = np.minimum(pre + rng.integers(0, 4, 30) * 10.0, 100)
    workshop = np.repeat(["quetta", "lahore", "karachi"], 10)
    got = compare_workshops(scores(pre, post, workshop)).set_index("workshop_id")
    for name in ("quetta", "lahore", "karachi"):
        mine = workshop == name
        pre_mean, post_mean = pre[mine].mean(), post[mine].mean()
        assert got.loc[name, "n"] == 10
        assert got.loc[name, "gain_mean"] == pytest.approx(post_mean - pre_mean, abs=EXACT)
        assert got.loc[name, "class_g"] == pytest.approx((post_mean - pre_mean) / (100 - pre_mean), abs=EXACT)
        g_i = (post[mine] - pre[mine]) / (100 - pre[mine])
        assert got.loc[name, "g_avg"] == pytest.approx(g_i.mean(), abs=EXACT)


def test_progress_over_sessions_pairs_within_each_session_in_the_order_held():
    rows = []
    # session s2 (held first) then s1; two people, one question worth 4 points
    for session, pre_points, post_points in (("s2", [1, 2], [2, 3]), ("s1", [2, 2], [4, 3])):
        for kind, points in (("pretest", pre_points), ("posttest", post_points)):
            rows += [{"participant_id": f"p{i}", "activity_kind": kind, "session_id": session, "question_id": "q",
                      "points": float(p), "max_points": 4.0} for i, p in enumerate(points)]
    got = progress_over_sessions(pd.DataFrame(rows), session_order=["s2", "s1"])
    assert got["session_id"].tolist() == ["s2", "s1"] and got["position"].tolist() == [1, 2]
    # s2: pre 25, 50 → 37.5; post 50, 75 → 62.5; <g> = 25/62.5 = 0.4
    # s1: pre 50, 50 → 50; post 100, 75 → 87.5; <g> = 37.5/50 = 0.75
    assert got[["pre_mean", "post_mean"]].to_numpy().tolist() == [[37.5, 62.5], [50, 87.5]]
    assert got["class_g"].tolist() == pytest.approx([0.4, 0.75], abs=EXACT)
    assert got["band"].tolist() == ["medium", "high"]
