"""The income approach's declared assets columns (``income.ASSET_COLUMNS``) are all it reads.

The range's draws and the tornados run the income approach on copies of the rows that carry
only those columns (plus the uncertain parameters' own). The approach reads an absent column
as all NaN / all "" (``income.columns.Columns``), so a column read but not declared would give
wrong values without any error: these tests guard the declaration three ways — every column
name written in the package's source, every column the approach asks for on varied cards, and
the whole appraisal with and without the trimming.
"""
import ast
import copy
import json
import re
from pathlib import Path

import pytest

from valuation import api
from valuation.core.portfolio import Portfolio
from valuation.core.schema import column_of, fields_for
from valuation.methods import income
from valuation.methods.income.columns import Columns
from valuation.pricing import reconcile

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))
INCOME_DIR = ROOT / "valuation" / "methods" / "income"

# assets-column names that the package writes for something else, never to read the column:
# each must stay true (the runtime tests below would catch a real read of one)
NOT_COLUMN_READS = {
    "asset_id": "the asset_id column of the records (income.scenarios, income.contributory)",
    "name": "the name column of the income.scenarios records",
    "coverage": "the model library's coverage parameter (p['coverage']) and a trace key",
    "currency": "the unit of the trace steps",
    "records": "the orient of DataFrame.to_dict",
}


def _cards() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in CARDS]


def _asset_columns() -> set[str]:
    """Every assets-table column: the schema's scalar fields and the built table's own."""
    built = set(Portfolio.from_cards(_cards()).assets.columns)
    return built | {column_of(f.path) for f in fields_for("card") if not f.in_records}


def _names_in_source() -> tuple[set[str], list[re.Pattern]]:
    """String constants of the package and, for f-strings and "a" + x, a pattern of the names
    they can build (their literal parts, anything in between)."""
    consts, patterns = set(), []
    for path in sorted(INCOME_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                consts.add(node.value)
            elif isinstance(node, ast.JoinedStr) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
                parts = node.values if isinstance(node, ast.JoinedStr) else [node.left, node.right]
                lit = [p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else None for p in parts]
                if any(lit):    # at least one literal part: a name pattern
                    patterns.append(re.compile("".join(re.escape(x) if x is not None else ".*" for x in lit) + r"\Z"))
    return consts, patterns


def test_every_column_name_in_the_income_source_is_declared():
    cols = _asset_columns()
    consts, patterns = _names_in_source()
    declared = set(income.ASSET_COLUMNS)
    named = {c for c in consts if c in cols}
    built = {c for c in cols for p in patterns if p.match(c)}
    missing = sorted((named | built) - declared - set(NOT_COLUMN_READS))
    assert not missing, f"income reads assets columns not in ASSET_COLUMNS: {missing}"
    # the scan sees the names it must (a pattern included): it is not vacuous
    assert {"income_model", "income_royalty_rate", "valuation_date"} <= named
    assert "income_discount_management" in built
    # every declared name is a column, and every exemption is still needed
    assert declared <= cols and len(declared) == len(income.ASSET_COLUMNS)
    assert set(NOT_COLUMN_READS) <= named


def _income(**kw) -> dict:
    base = {"model": "royalty", "periods": 5, "royalty_rate": 0.08, "tax_rate": 0.25,
            "revenue": {"base": 18_000_000, "growth": [0.12, 0.1, 0.08, 0.05]}, "discount_rate": 0.12}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


HIST = [9.0e6, 10.1e6, 11.5e6, 12.2e6, 13.9e6, 15.0e6, 16.3e6, 17.1e6]
INCOME_VARIANTS = {
    "build_up": _income(discount_rate=None, discount={"method": "build_up", "management": 0.03, "circulation": 0.02,
                                                      "security": 0.01, "regulation": 0.02, "other": 0.01}),
    "wacc": _income(discount_rate=None, discount={"method": "wacc", "wacc": 0.09, "premium": 0.03}),
    "terminal": _income(revenue={"base": 1e6, "growth": [0.2, 0.1], "terminal_growth": 0.03}),
    "terminal_refused": _income(terminal_growth=0.2),
    "basis_mismatch": _income(income_basis="pre_tax", rate_basis="post_tax"),
    "mid_first_period": _income(timing="mid", first_period_end="2026-06-30"),
    "life_bounds": _income(life={"contract_years": 6, "legal_years": 3.5, "timeliness_years": 4,
                                 "product_years": 7}),
    "attrition": _income(attrition={"rate": 0.3, "start_period": 2, "cutoff": 0.2}),
    "split_equivalent": _income(model="split", revenue=None, royalty_rate=None, periods=3, base=[100, 110, 120],
                                split={"method": "equivalent_investment", "data_investment": 200,
                                       "data_profit_rate": 0.5, "other_investment": 800, "other_profit_rate": 0.1}),
    "split_marginal": _income(model="split", revenue=None, royalty_rate=None, periods=3, base=[40, 40, 40],
                              split={"method": "marginal", "incremental_profit": [10, 10, 10],
                                     "total_profit": [40, 40, 40]}),
    "split_missing_rate": _income(model="split", revenue=None, royalty_rate=None, periods=2, base=[40, 40]),
    "direct": _income(model="direct", revenue=None, royalty_rate=None, periods=3, income=[5e6, 5.5e6, 6e6]),
    "incremental": _income(model="incremental", revenue=None, royalty_rate=None, incremental_kind="cost_saving",
                           periods=3, savings=[1.5e6, 1.8e6, 2e6]),
    "incremental_with": _income(model="incremental", revenue=None, royalty_rate=None, periods=2,
                                **{"with": [5e6, 6e6], "without": [4e6, 4.5e6]}),
    "missing_stream": _income(revenue=None),
    "history_yearly": _income(revenue=None, periods=3, history={"values": HIST, "margin": 0.3}),
    "history_quarterly": _income(model="direct", revenue=None, royalty_rate=None, periods=2,
                                 history={"values": HIST + HIST, "frequency": "quarterly", "method": "ets"}),
    "history_too_short": _income(revenue=None, periods=3, history={"values": [1, 2, 3]}),
    "scenarios": {"model": "direct", "discount_rate": 0.1, "scenarios": [
        {"name": "A", "share": 0.6, "income": [100, 100]},
        {"name": "B", "share": 0.4, "discount_rate": 0.2, "income": [50, 50, 50]}]},
}


def _variant_cards() -> list[dict]:
    """The example cards, and E01 with each income variant; without income, market or cost;
    with a publication rounding, a rights term and card weights."""
    cards = _cards()
    e01 = cards[0]
    assert CARDS[0].name.startswith("E01") and "income" in e01
    out = list(cards)
    for k, inc in INCOME_VARIANTS.items():
        c = copy.deepcopy(e01)
        c["asset"]["asset_id"] = f"V-{k}"
        c["income"] = copy.deepcopy(inc)
        out.append(c)
    for k, drop in (("no_income", "income"), ("no_market", "market"), ("no_cost", "cost")):
        c = copy.deepcopy(e01)
        c["asset"]["asset_id"] = f"V-{k}"
        c.pop(drop, None)
        out.append(c)
    c = copy.deepcopy(e01)
    c["asset"]["asset_id"] = "V-rounding-rights"
    c["engagement"]["rounding"] = "publication"
    c["asset"].setdefault("rights", {})["term_end"] = "2028-06-30"
    c["engagement"]["weights"] = {"cost": 0.2, "income": 0.6, "market": 0.2}
    c["engagement"]["weights_reason"] = "income-led licensing"
    out.append(c)
    return out


def test_the_variants_are_valid_cards():
    pf = Portfolio.from_cards(_variant_cards(), strict=False)
    assert not getattr(pf, "rejected", None)


def test_income_asks_only_for_declared_columns(monkeypatch):
    """Every assets column the approach asks its column reader for (present or not), on every
    variant card — the runtime side of the source scan (names built at run time included)."""
    asked: set[str] = set()
    contains, values = Columns.__contains__, Columns._values

    def spy_contains(self, name):
        asked.add(name)
        return contains(self, name)

    def spy_values(self, name):
        asked.add(name)
        return values(self, name)

    monkeypatch.setattr(Columns, "__contains__", spy_contains)
    monkeypatch.setattr(Columns, "_values", spy_values)
    pf = Portfolio.from_cards(_variant_cards())
    income.appraise(pf, trace=True)
    cols = _asset_columns()
    assert {"income_model", "income_discount_management", "income_history_method"} <= asked
    assert not sorted((asked & cols) - set(income.ASSET_COLUMNS))


def _trimmed_widths(monkeypatch) -> list[int | None]:
    """Spy on the replicated runs: the number of assets columns each was asked to copy."""
    widths: list[int | None] = []
    real = reconcile.evaluate_rows

    def spy(fs, pf, pos, ids, params, values, columns=None):
        widths.append(None if columns is None else len(set(columns)))
        return real(fs, pf, pos, ids, params, values, columns=columns)

    monkeypatch.setattr(reconcile, "evaluate_rows", spy)
    return widths


@pytest.mark.parametrize("together", [False, True])
def test_appraisal_is_the_same_with_and_without_the_trimmed_copies(monkeypatch, together):
    cards = _variant_cards()
    widths = _trimmed_widths(monkeypatch)

    def run() -> str:
        if together:
            res = api.appraise_together(cards, library="seed", trace=True)
        else:
            res = [api.appraise(c, library="seed") for c in cards]
        return json.dumps([r.to_dict() for r in res], sort_keys=True, ensure_ascii=False, default=str)

    trimmed = run()
    # the income runs copy fewer columns (cost and market runs, when any, copy them all)
    assert any(w is not None for w in widths) and all(w is None or w < len(_asset_columns()) for w in widths)
    widths.clear()
    monkeypatch.setattr(reconcile, "_TRIM_ASSETS", False)
    full = run()
    assert widths and all(w is None for w in widths)
    assert trimmed == full


def test_reading_a_left_out_column_fails_loudly(monkeypatch):
    """A column the income approach reads but did not declare fails at once on the trimmed
    copies (core.trimmed) instead of reading as absent (all NaN / ""): here the declaration
    loses the income model column."""
    from valuation.core.trimmed import LeftOutColumnError, left_out
    from valuation.pricing import _sampling

    declared = tuple(income.ASSET_COLUMNS)
    victim = "income_model"
    assert victim in declared
    card = _cards()[0]
    pf = Portfolio.from_card(card)
    rows = _sampling.replicate_rows(pf, [0, 0, 0], ["a~0", "a~1", "a~2"],
                                    columns=[c for c in declared if c != victim])
    assert victim in left_out(rows.assets) and victim not in rows.assets.columns
    with pytest.raises(LeftOutColumnError, match=r"income_model.*ASSET_COLUMNS"):
        Columns(rows.assets).num(victim)
    # the full table, and any frame derived from the copy, read an absent column as before
    full = Columns(pf.assets.drop(columns=[victim]))
    assert all(x != x for x in full.num(victim))          # all NaN: a card without the field
    assert not left_out(rows.assets.copy())
    # and through the whole appraisal: the trimmed Monte Carlo run refuses to go on
    monkeypatch.setattr(income, "ASSET_COLUMNS", tuple(c for c in declared if c != victim))
    with pytest.raises(LeftOutColumnError):
        api.appraise(card, library="seed")
