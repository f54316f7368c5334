"""Perturbed inputs for value functions of a portfolio (issue 20; an approach run by its
contract is tests/pricing/test_approach_rows.py): every such function runs on the same rows
(``pricing/perturbed.Rows``, their typed table); a frame of the rows is built only for a
reader that asks for it, and it carries a model's own (non-schema) inputs."""
import numpy as np
from pricing_standins import card

from valuation.core.columns import AssetTable
from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.pricing.params import Param
from valuation.pricing.perturbed import evaluate, perturbed_portfolio

REV = [100.0, 110.0, 120.0, 130.0]


def _counted(monkeypatch) -> dict[str, int]:
    n = {"to_frame": 0}
    orig = AssetTable.to_frame

    def to_frame(self, *a, **k):
        n["to_frame"] += 1
        return orig(self, *a, **k)
    monkeypatch.setattr(AssetTable, "to_frame", to_frame)
    return n


def test_every_function_gets_the_same_rows_and_no_frame_is_built(monkeypatch):
    pf = Portfolio.from_cards([card("A", revenue=REV, rate=0.12), card("B", revenue=REV, rate=0.10)])
    n = _counted(monkeypatch)
    rate = Param("i", "discount", "i", "i", {"type": "fixed"})
    seen = []

    def f(rows):
        seen.append(rows)
        return income.appraise(rows, trace=False).estimates()
    runs = evaluate([f, f], pf, np.array([0, 1, 1]), [rate], [np.array([0.2, np.nan, 0.08])])
    assert len(seen) == 2 and seen[0] is seen[1]          # one Rows for all functions
    assert n["to_frame"] == 0                              # the income approach read the table only
    # the values: B at its own 0.10 equals B unperturbed; rates 0.2 and 0.08 move A and B apart
    own = income.appraise(pf, trace=False).estimates()
    assert runs[0].values[1] == own[1]
    assert runs[0].values[0] < own[0] and runs[0].values[2] > own[1]
    np.testing.assert_array_equal(runs[0].values, runs[1].values)


def test_the_frame_of_the_rows_keeps_a_models_own_inputs(monkeypatch):
    """A portfolio made from a frame with a column that is no schema field: the rows' frame
    has it (drawn where it is a parameter, else the source's at the rows), as ``number`` does."""
    pf = Portfolio.from_cards([card("A"), card("B"), card("C")])
    frame = pf.assets.copy()
    frame["my_weight"] = [1.0, 2.0, 3.0]
    frame["my_factor"] = [10.0, 20.0, 30.0]
    src = Portfolio(frame, pf.series, pf.records, pf.matrices)
    n = _counted(monkeypatch)
    p = Param("w", "column", "w", "w", {"type": "fixed"}, target=("my_weight",))
    pos = np.array([2, 0, 2])
    rows = perturbed_portfolio(src, pos, [p], [np.array([7.0, np.nan, 9.0])])
    assert rows.number("my_weight").tolist() == [7.0, 1.0, 9.0]
    assert rows.number("my_factor").tolist() == [30.0, 10.0, 30.0]
    assert n["to_frame"] == 0
    a = rows.assets
    assert n["to_frame"] == 1 and rows.assets is a         # built once, on the first read
    assert a.index.tolist() == [0, 1, 2]
    assert a["my_weight"].tolist() == [7.0, 1.0, 9.0]
    assert a["my_factor"].tolist() == [30.0, 10.0, 30.0]
    assert a["cost_direct"].tolist() == frame["cost_direct"].to_numpy()[pos].tolist()
