"""RiskMatrix levels and the RiskRegister (CSV / YAML loading, residual after controls, table)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import ConfigError, ParameterError
from riskkit.grading import CATEGORIES, SEED_CATEGORIES, Control, Risk, RiskMatrix, RiskRegister, check_categories

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "data" / "risk_register.csv"


def test_default_matrix_levels_by_hand() -> None:
    m = RiskMatrix()
    # default boundaries on p x i: low 1-4, medium 5-9, high 10-16, critical 20-25
    assert m.level(1, 1) == "low" and m.level(2, 2) == "low" and m.level(1, 4) == "low"
    assert m.level(1, 5) == "medium" and m.level(3, 3) == "medium"
    assert m.level(2, 5) == "high" and m.level(4, 4) == "high"
    assert m.level(4, 5) == "critical" and m.level(5, 5) == "critical"
    assert list(m.level([1, 5], [1, 5])) == ["low", "critical"]
    assert m.score(3, 4) == 12 and m.code_of("high") == 2


@pytest.mark.parametrize(
    "matrix",
    [
        RiskMatrix(),
        RiskMatrix(["green", "amber", "red"], boundaries=[4, 12]),
        RiskMatrix(["low", "high"], boundaries=[7], size=4),
    ],
)
def test_level_is_monotone_in_probability_and_impact(matrix: RiskMatrix) -> None:
    n = matrix.size
    codes = np.array([[matrix.level_code(p, i) for i in range(1, n + 1)] for p in range(1, n + 1)])
    assert (np.diff(codes, axis=0) >= 0).all() and (np.diff(codes, axis=1) >= 0).all()
    assert codes.min() == 0 and codes.max() == len(matrix.level_names) - 1


def test_custom_grid_and_its_validation() -> None:
    grid = [["low"] * 5, ["low"] * 4 + ["high"], ["low"] * 3 + ["high"] * 2,
            ["low", "low"] + ["high"] * 3, ["high"] * 5]
    m = RiskMatrix(["low", "high"], grid=grid)
    assert m.level(2, 5) == "high" and m.level(2, 4) == "low" and m.level(5, 1) == "high"
    bad = [row[:] for row in grid]
    bad[4][0] = "low"
    bad[3][0] = "high"
    with pytest.raises(ParameterError, match=r"grid must be monotone"):
        RiskMatrix(["low", "high"], grid=bad).level(1, 1)
    with pytest.raises(ParameterError, match=r"grid has unknown level\(s\) \['severe'\]"):
        RiskMatrix(["low", "high"], grid=[["severe"] * 5] * 5).level(1, 1)


@pytest.mark.parametrize(("p", "i", "field", "shown"), [(0, 3, "probability", "0"), (6, 3, "probability", "6"),
                                                        (3, 2.5, "impact", "2.5"), (3, 7, "impact", "7")])
def test_probability_or_impact_outside_scale(p: float, i: float, field: str, shown: str) -> None:
    with pytest.raises(ParameterError, match=rf"{field} must be an integer 1\.\.5 \(got {field}={shown}"):
        RiskMatrix().level(p, i)


def test_bad_levels_and_boundaries() -> None:
    with pytest.raises(ParameterError, match=r"level must be one of \['low', 'medium', 'high', 'critical'\] \(got level='severe'\)"):
        RiskMatrix().code_of("severe")
    with pytest.raises(ParameterError, match=r"boundaries must increase strictly .*got boundaries=\[10, 5, 17\]"):
        RiskMatrix(boundaries=[10, 5, 17]).level(1, 1)
    with pytest.raises(ParameterError, match=r"one lower bound per level .*got 2 boundaries"):
        RiskMatrix(boundaries=[5, 10]).level(1, 1)


def test_residual_after_controls_by_hand() -> None:
    risk = Risk(id="R1", title="t", category="operational", subcategory="people", probability=4, impact=5,
                controls=(Control("a", 0.5, "probability"), Control("b", 0.5, "probability"),
                          Control("c", 0.5, "impact")))
    # probability: 1 - (1 - 0.5)(1 - 0.5) = 0.75 -> 4 * 0.25 = 1; impact: 5 * 0.5 = 2.5 -> rounded up to 3
    assert risk.combined_effectiveness("probability") == pytest.approx(0.75)
    assert (risk.residual_probability, risk.residual_impact) == (1, 3)
    both = Risk(id="R2", title="t", category="technology", subcategory="data_security", probability=5, impact=5,
                controls=(Control("x", 1.0, "both"),))
    assert (both.residual_probability, both.residual_impact) == (1, 1)  # never below 1


def test_example_register_covers_seed_categories() -> None:
    reg = RiskRegister.from_csv(EXAMPLE)
    table = reg.table()
    seeds = {(cat, sub) for cat, subs in SEED_CATEGORIES.items() for sub in subs}
    assert {sub for _, sub in seeds} == {
        "internal_process", "people", "systems", "external_events",  # operational
        "licensing", "business_conduct", "data_security", "intellectual_property", "anti_money_laundering",  # compliance
        "software_delivery", "operations", "technology_change", "third_party_dependence"}  # technology
    assert set(zip(table["category"], table["subcategory"], strict=True)) == seeds
    # the default taxonomy still accepts the earlier names
    assert {"legal"} <= set(CATEGORIES["compliance"]) and "outsourced_technology" in CATEGORIES["technology"]
    # sorted: most severe residual level first, then residual score
    codes = [RiskMatrix().code_of(x) for x in table["residual_level"]]
    assert codes == sorted(codes, reverse=True)
    for _, grp in itertools.groupby(zip(codes, table["residual_score"], strict=True), key=lambda t: t[0]):
        scores = [s for _, s in grp]
        assert scores == sorted(scores, reverse=True)
    assert (table["residual_score"] <= table["inherent_score"]).all()
    m = reg.metrics()
    assert m["n_risks"] == len(table) == 20
    assert m["n_critical_inherent"] == (table["inherent_level"] == "critical").sum()
    assert sum(m[f"n_{lvl}_residual"] for lvl in RiskMatrix().level_names) == 20
    counts = reg.level_counts()
    assert counts.loc["Totals", "inherent"] == 20
    assert "RiskRegister: 20 risks" in str(reg)
    pd.testing.assert_frame_equal(reg.summary(), counts)


def test_yaml_register_with_matrix(tmp_path: Path) -> None:
    path = tmp_path / "reg.yaml"
    path.write_text(
        "matrix: {levels: [green, amber, red], boundaries: [4, 12]}\n"
        "risks:\n"
        "  - {id: A, title: a, category: Compliance, subcategory: anti-money-laundering, probability: 4, impact: 4,\n"
        "     controls: [{name: screening, effectiveness: 0.5, reduces: probability}]}\n"
        "  - {id: B, title: b, category: operational, subcategory: systems, probability: 1, impact: 2}\n"
    )
    reg = RiskRegister.from_file(path)
    t = reg.table()
    assert t["id"].tolist() == ["A", "B"]
    assert t.loc[0, "inherent_level"] == "red" and t.loc[0, "residual_level"] == "amber"
    assert t.loc[0, "subcategory"] == "anti_money_laundering"


def _write(tmp_path: Path, body: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


HEADER = "id,title,category,subcategory,probability,impact,controls\n"


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("X1,t,operational,people,6,3,", r"risk 'X1' \(row 1\): probability must be an integer 1\.\.5 \(got probability='6'\)"),
        ("X1,t,operational,people,3,0,", r"risk 'X1' \(row 1\): impact must be an integer 1\.\.5 \(got impact='0'\)"),
        ("X1,t,market,people,3,3,", r"category must be one of .* \(got category='market'\)"),
        ("X1,t,operational,legal,3,3,", r"subcategory must be one of .* for category 'operational' \(got subcategory='legal'\)"),
        ("X1,t,operational,people,3,3,audit:1.5", r"control 'audit' effectiveness must be in \[0, 1\] \(got effectiveness='1.5'\)"),
        ("X1,t,operational,people,3,3,audit:0.5:speed", r"reduces must be one of .* \(got reduces='speed'\)"),
        ("X1,t,operational,people,3,3,audit", r"controls must read 'name:effectiveness\[:reduces\]; \.\.\.' \(got controls='audit'\)"),
        (",t,operational,people,3,3,", r"row 1: missing field\(s\) \['id'\]"),
    ],
)
def test_register_validation_names_field_and_value(tmp_path: Path, row: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        RiskRegister.from_csv(_write(tmp_path, HEADER + row + "\n"))


def test_register_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"risk ids must be unique \(got duplicate id\(s\) \['D'\]\)"):
        RiskRegister.from_csv(_write(tmp_path, HEADER + "D,t,operational,people,1,1,\nD,u,operational,people,2,2,\n"))
    with pytest.raises(ConfigError, match=r"missing column\(s\) \['impact'\]"):
        RiskRegister.from_csv(_write(tmp_path, "id,title,category,subcategory,probability\nA,t,operational,people,1\n"))
    with pytest.raises(ConfigError, match=r"bad\.yaml is not valid YAML \(.*at line 3, column 1\)"):
        RiskRegister.from_yaml(_write(tmp_path, "risks:\n  - {id: A, title: [unclosed\n", "bad.yaml"))
    with pytest.raises(ConfigError, match=r"must be a mapping with a 'risks' list"):
        RiskRegister.from_yaml(_write(tmp_path, "- just a list\n", "list.yaml"))
    with pytest.raises(ConfigError, match=r"path does not exist or is not a file \(got path='.*nope\.csv'\)"):
        RiskRegister.from_csv(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match=r"path must end in \.csv, \.yaml or \.yml \(got path='r\.txt'\)"):
        RiskRegister.from_file("r.txt")
    with pytest.raises(ConfigError, match=r"the register has no risks"):
        RiskRegister.from_records([])


def test_register_declares_its_own_categories(tmp_path: Path) -> None:
    own = {"Compliance": ["licensing", "Intellectual property"], "technology": ["technology-change"]}
    records = [
        {"id": "A", "title": "t", "category": "compliance", "subcategory": "intellectual property", "probability": 2, "impact": 3},
        {"id": "B", "title": "t", "category": "technology", "subcategory": "technology_change", "probability": 3, "impact": 3},
    ]
    reg = RiskRegister.from_records(records, categories=own)
    assert list(reg.table()["subcategory"]) == ["technology_change", "intellectual_property"]
    assert reg.categories == {"compliance": ("licensing", "intellectual_property"), "technology": ("technology_change",)}
    # its own taxonomy replaces the default: an operational risk is now refused
    bad = records + [{"id": "C", "title": "t", "category": "operational", "subcategory": "people", "probability": 1, "impact": 1}]
    with pytest.raises(ConfigError, match=r"risk 'C' \(row 3\): category must be one of \['compliance', 'technology'\]"):
        RiskRegister.from_records(bad, categories=own)
    with pytest.raises(ConfigError, match=r"subcategory must be one of \['technology_change'\] for category 'technology'"):
        RiskRegister.from_records([{**records[1], "subcategory": "operations"}], categories=own)
    # YAML declares them under categories:
    path = tmp_path / "reg.yaml"
    path.write_text(
        "categories:\n  conduct: [mis-selling, complaints handling]\n"
        "risks:\n  - {id: X, title: x, category: conduct, subcategory: Mis-selling, probability: 4, impact: 4}\n")
    yreg = RiskRegister.from_file(path)
    assert yreg.table().loc[0, "subcategory"] == "mis_selling"
    # a CSV takes them as an argument; without it licensing and IP rows load with the default taxonomy
    csv = tmp_path / "reg.csv"
    csv.write_text("id,title,category,subcategory,probability,impact\nL1,t,compliance,licensing,2,2\n"
                   "L2,t,compliance,intellectual_property,2,2\n")
    assert len(RiskRegister.from_csv(csv).table()) == 2
    with pytest.raises(ConfigError, match="category must be one of \\['conduct'\\]"):
        RiskRegister.from_csv(csv, categories={"conduct": ["complaints"]})


@pytest.mark.parametrize(("categories", "message"), [
    ([], "categories must be a non-empty mapping"),
    ({}, "categories must be a non-empty mapping"),
    ({"compliance": "licensing"}, "category 'compliance' must list its subcategories"),
    ({"compliance": []}, "category 'compliance' must list its subcategories"),
    ({"compliance": ["licensing", "Licensing"]}, "category 'compliance' has an empty or repeated subcategory"),
    ({"Compliance": ["a"], "compliance": ["b"]}, "category 'compliance' is empty or declared twice"),
])
def test_bad_categories_are_refused(categories, message) -> None:
    with pytest.raises(ConfigError, match=message):
        check_categories(categories)
