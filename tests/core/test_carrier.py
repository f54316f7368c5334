"""The typed containers are the carrier (issue 20): a portfolio from cards holds its asset table
and builds the pandas frame only when asked; an approach's result holds its arrays and builds
its frame only when asked; refusing rows on the arrays gives what the frame guards gave."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from values_equal import same

from valuation import api
from valuation.core.portfolio import Portfolio
from valuation.methods.base import _plain
from valuation.methods.registry import APPROACHES, params_of
from valuation.methods.result import MethodResult

ROOT = Path(__file__).resolve().parents[2]
CARDS = [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "examples" / "cards").glob("*.json"))]




def test_portfolio_from_cards_builds_no_frame_until_asked():
    pf = Portfolio.from_cards(CARDS)
    assert pf._assets is None                       # the carrier is the table
    assert len(pf) == len(CARDS) and list(pf.index) == [c["asset"]["asset_id"] for c in CARDS]
    sub = pf.subset(pf.index[[2, 0]])               # rows of the table, still no frame
    assert sub._assets is None and list(sub.index) == [pf.index[2], pf.index[0]]
    assert sub.columns["seed"].tolist() == pf.columns["seed"][[2, 0]].tolist()
    fr = pf.assets                                  # the edge: built once, on the same index
    assert fr.index is pf.index and pf.assets is fr
    pd.testing.assert_frame_equal(fr, pf.columns.to_frame())


def test_number_reads_the_table_or_a_frames_own_column():
    pf = Portfolio.from_cards(CARDS[:2])
    np.testing.assert_array_equal(pf.number("seed"), pf.columns["seed"])
    assert np.isnan(pf.number("no_such_column")).all()
    own = Portfolio(pd.DataFrame({"x1": [1.5, 2.5]}, index=pd.Index(["A", "B"], name="asset_id")))
    assert own.number("x1").tolist() == [1.5, 2.5]   # a model's own input, not a schema field


def _result() -> MethodResult:
    index = pd.Index(["A", "B", "C"], name="asset_id")
    cols = {"estimate": np.array([10.0, -5.0, np.nan]), "low": np.array([8.0, -6.0, np.nan]),
            "high": np.array([12.0, -4.0, np.nan]), "applicable": np.array([True, True, False]),
            "reason_zh": np.array(["", "", "无数据"], dtype=object),
            "reason_en": np.array(["", "", "no data"], dtype=object),
            "model": (("royalty", "excess"), np.array([1, 0, 0])),
            "n": np.array([3, 0, 0], dtype=np.int64), "note": np.array(["x", None, "z"], dtype=object)}
    return MethodResult("toy", None, {}, {}, {}, columns=cols, index=index)


def test_a_result_of_arrays_reads_as_its_frame_would():
    res = _result()
    assert res._frame is None                       # nothing built yet
    assert res.txt("model").tolist() == ["excess", "royalty", "royalty"]
    np.testing.assert_array_equal(res.estimates(), [10.0, -5.0, np.nan])
    rows = {aid: res.row(aid) for aid in res.index}
    fr = res.frame                                  # the edge form, on demand
    assert fr["model"].tolist() == ["excess", "royalty", "royalty"]
    for aid in fr.index:
        want = {k: _plain(v) for k, v in fr.loc[aid].items()}
        assert list(rows[aid]) == list(want)
        assert all(same(rows[aid][k], want[k]) for k in want), (aid, rows[aid], want)


def test_refused_rows_lose_their_value_and_take_the_reason():
    res = _result()
    out = res.refused(np.array([False, True, True]), "负值", "negative", "negative")
    assert out is not res and res.num("estimate")[1] == -5.0      # the source is left alone
    assert out.flag("applicable").tolist() == [True, False, False]
    assert np.isnan(out.num("low")[1:]).all() and out.num("high")[0] == 12.0
    assert out.txt("reason_en").tolist() == ["", "negative", "negative"]   # set on every row asked
    first = res.refused(np.array([False, True, True]), "缺失", "missing", first=True)
    assert first.txt("reason_en").tolist() == ["", "missing", "no data"]  # the first reason wins
    assert res.refused(np.zeros(3, bool), "x", "x") is res


def test_parameters_are_resolved_once_per_snapshot():
    snap = api.snapshot("seed")
    for ap in APPROACHES.values():
        assert params_of(ap, snap) is params_of(ap, snap)
        assert dict(params_of(ap, snap)) == dict(ap.params_of(snap))


def test_a_portfolio_holding_its_table_pickles():
    """A worker process gets the portfolio as it is (the table's read-only mapping does not
    pickle by itself)."""
    import pickle

    pf = Portfolio.from_cards(CARDS)
    back = pickle.loads(pickle.dumps(pf))
    assert back._assets is None and list(back.index) == list(pf.index)
    for name in ("seed", "income_discount_rate", "purpose", "valuation_date"):
        np.testing.assert_array_equal(back.columns[name], pf.columns[name])
    assert not back.columns["seed"].flags.writeable
    pd.testing.assert_frame_equal(back.assets, pf.assets)


def test_the_engine_and_the_contract_import_no_pandas():
    """Issue 20: the engine, the approach contract, the registry and the result carry arrays;
    pandas stays at the edges (``core/frames.py``, ``core/result_frames.py``, the faces). A
    type-only import (``if TYPE_CHECKING``) is not an import at run time."""
    import ast

    for rel in ("valuation/engine.py", "valuation/methods/base.py", "valuation/methods/registry.py",
                "valuation/methods/result.py"):
        tree = ast.parse((ROOT / rel).read_text("utf-8"))
        runtime = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name.split(".")[0] for n in runtime if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in runtime if isinstance(n, ast.ImportFrom) and not n.level}
        assert "pandas" not in names, rel


def test_records_frames_are_built_when_read():
    """A records path no reader asks for (the accounting costs, in an appraisal) costs
    nothing; a read gives the typed frame; a pickled portfolio carries them all."""
    import pickle

    pf = Portfolio.from_cards(CARDS)
    paths = list(pf.records)
    assert paths and not pf.records._done                      # nothing built yet
    fr = pf.records[paths[0]]
    assert list(pf.records._done) == [paths[0]] and pf.records[paths[0]] is fr
    assert set(fr["asset_id"]) <= set(pf.index) and len(fr)
    back = pickle.loads(pickle.dumps(pf))
    assert type(back.records) is dict and list(back.records) == paths
    pd.testing.assert_frame_equal(back.records[paths[-1]], pf.records[paths[-1]])
