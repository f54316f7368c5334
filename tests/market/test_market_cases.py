"""Case schema, unit rules and importers (DaDaDa layout and generic CSV with a mapping)."""
import math

import numpy as np
import pandas as pd
import pytest

from valuation.core.errors import ValidationError
from valuation.library.cases import (
    CASE_COLUMNS,
    cases_frame,
    cases_frame_from_store,
    import_dadada,
    import_table,
    parse_price_text,
    same_unit_mask,
    store_items,
    validate_cases,
)

EXCHANGE_COLS = ["title", "provider", "description", "update_frequency", "coverage", "dimension", "url",
                 "category", "category_aws", "platform", "currency", "price_mode", "price", "volume", "size",
                 "data_sample"]
GY = "Guiyang Global Big Data Exchange"
ZJ = "Zhejiang Big Data Exchange"


def _row(title, mode, price, platform=ZJ, currency="RMB", url=None, freq="no-update", dim=0, vol=0,
         aws="Financial Services Data", cat="金融科技"):
    return {"title": title, "provider": "p", "description": "d", "update_frequency": freq, "coverage": "CN",
            "dimension": dim, "url": url or f"https://x/{title}", "category": cat, "category_aws": aws,
            "platform": platform, "currency": currency, "price_mode": mode, "price": price, "volume": vol,
            "size": 0, "data_sample": ""}


def write_exchange(path):
    rows = [
        _row("面议产品", "negotiation", 0),                        # 1 negotiated
        _row("开放数据", "free", 0),                               # 2 free
        _row("企业查询", "usage-based", 0.1, platform=GY),          # 3 per_call (Guiyang, cheap)
        _row("气象格点数据", "usage-based", 250000, platform=GY),   # 4 Guiyang per order → one_off
        _row("指数数据", "one-off", 1000, dim=12, vol=5000),        # 5 one_off
        _row("板材指数订阅", "subscription", 1056),                  # 6 subscription_year (12 × 88)
        _row("零价格", "usage-based", 0),                           # 7 zero price
        _row("坏价格", "one-off", "abc"),                           # 8 unparseable
        _row("美元产品", "one-off", 10, currency="USD"),            # 9 currency
        _row("指数数据", "one-off", 1000, dim=12, vol=5000),        # 10 duplicate of 5
        _row("拍卖", "auction", 5),                                 # 11 unknown mode
    ]
    pd.DataFrame(rows, columns=EXCHANGE_COLS).to_csv(path, index=False)
    return len(rows)


def write_derived(path):
    rows = [
        {"platform": "Beijing International Data Exchange", "title": "号码状态", "provider": "p",
         "category_aws": "Telecommunications Data", "category_src": "通信", "price_mode": "usage-based",
         "price_rmb": 0.1, "raw_price_text": "10元/100次", "update_frequency": "no-update", "volume": 0,
         "size_bytes": 0.0, "dimension": 3, "url": "https://b/1"},
        {"platform": "Canton Data Exchange", "title": "板材指数", "provider": "p",
         "category_aws": "Retail, Location & Marketing Data", "category_src": "新零售", "price_mode": "subscription",
         "price_rmb": 1056.0, "raw_price_text": "88.00元/月", "update_frequency": "daily", "volume": 0,
         "size_bytes": 0.0, "dimension": 0, "url": "https://c/1"},
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return len(rows)


def test_dadada_import_accounts_for_every_row(tmp_path):
    f = tmp_path / "zhejiang.csv"
    total = write_exchange(f)
    rep = import_dadada(f)
    assert rep.total == total and rep.n_imported + rep.n_skipped == total and rep.balanced
    assert rep.counts() == {"currency": 1, "duplicate": 1, "free": 1, "negotiated": 1, "unknown_price_mode": 1,
                            "unparseable_price": 1, "zero_price": 1}
    by_title = rep.imported.set_index("title")
    assert by_title.loc["企业查询", "price_mode"] == "per_call" and by_title.loc["企业查询", "price_unit"] == "CNY/call"
    assert by_title.loc["气象格点数据", "price_mode"] == "one_off"       # Guiyang 元/次 on a dataset = per order
    assert by_title.loc["板材指数订阅", "price_mode"] == "subscription_year"
    assert by_title.loc["板材指数订阅", "price"] == 1056 and by_title.loc["板材指数订阅", "price_unit"] == "CNY/year"
    assert by_title.loc["指数数据", "fields"] == 12 and by_title.loc["指数数据", "records"] == 5000
    assert (rep.imported["evidence_type"] == "listing").all()
    assert math.isnan(by_title.loc["企业查询", "records"])               # volume 0 = unknown, never 0
    # every skipped row has a reason in both languages and its file row number
    sk = rep.skipped
    assert sk["reason_zh"].str.len().gt(0).all() and sk["reason_en"].str.len().gt(0).all()
    assert sorted(sk["row"].tolist()) == [1, 2, 7, 8, 9, 10, 11]
    validate_cases(rep.imported)  # what was imported meets the schema
    assert "skipped 7" in rep.summary("en")


def test_derived_layout_keeps_per_call_and_yearly_units(tmp_path):
    f = tmp_path / "derived_cn_priced_listings.csv"
    n = write_derived(f)
    rep = import_dadada(f)
    assert rep.n_imported == n and rep.n_skipped == 0
    c = rep.imported.set_index("title")
    assert c.loc["号码状态", "price"] == pytest.approx(0.1) and c.loc["号码状态", "price_mode"] == "per_call"
    assert c.loc["板材指数", "price_mode"] == "subscription_year" and c.loc["板材指数", "update_frequency"] == "daily"


@pytest.mark.parametrize("text,value,mode", [
    ("0.50元/次", 0.5, "per_call"), ("10元/100次", 0.1, "per_call"), ("88.00元/月", 1056.0, "subscription_year"),
    ("1000000元/年", 1e6, "subscription_year"), ("3万元", 30000.0, None), ("1,000", 1000.0, None),
    ("面议", float("nan"), None), (None, float("nan"), None)])
def test_parse_price_text(text, value, mode):
    v, m = parse_price_text(text)
    assert m == mode
    assert (math.isnan(v) and math.isnan(value)) or v == pytest.approx(value)


def test_generic_csv_import_with_yaml_mapping(tmp_path):
    src = pd.DataFrame({"编号": ["T1", "T2", "T3", "T4", "T5"], "名称": ["a", "b", "c", "d", "e"],
                        "计价": ["一次性", "订阅", "面议", "按次", "一次性"],
                        "价格": ["12万元", "88元/月", "", "0.5元/次", "0"],
                        "权利": ["product_operation"] * 5, "日期": ["2025-01-02"] * 5})
    f = tmp_path / "t.csv"
    src.to_csv(f, index=False)
    m = tmp_path / "map.yaml"
    m.write_text("columns: {case_id: 编号, title: 名称, price_mode: 计价, price: 价格, rights_type: 权利, date: 日期}\n"
                 "values: {price_mode: {一次性: one_off, 订阅: subscription_year, 面议: negotiated, 按次: per_call}}\n"
                 "defaults: {evidence_type: transaction}\n", encoding="utf-8")
    rep = import_table(f, m)
    assert rep.balanced and rep.total == 5
    assert rep.counts() == {"negotiated": 1, "zero_price": 1}
    c = rep.imported.set_index("case_id")
    assert c.loc["T1", "price"] == 120000 and c.loc["T2", "price"] == 1056 and c.loc["T4", "price_unit"] == "CNY/call"


def test_invalid_rows_are_skipped_with_the_schema_reason(tmp_path):
    f = tmp_path / "bad.csv"
    pd.DataFrame({"case_id": ["OK", "BAD"], "price_mode": ["one_off", "one_off"], "price": [10, 20],
                  "rights_type": ["holding", "owner"], "date": ["2025-01-01", "2025-01-01"],
                  "evidence_type": ["transaction", "transaction"]}).to_csv(f, index=False)
    rep = import_table(f)
    assert rep.n_imported == 1 and rep.counts() == {"invalid": 1}
    assert "rights_type" in rep.skipped["reason_en"].iloc[0] and "owner" in rep.skipped["reason_en"].iloc[0]


def test_validation_names_field_value_and_allowed():
    bad = pd.DataFrame({"case_id": ["a", "a", "b c"], "price_mode": ["per_call", "free", "one_off"],
                        "price_unit": ["CNY/year", None, None], "price": [0.5, 3, -1], "rights_type": ["holding"] * 3,
                        "date": ["2025-01-01", "2025-13-01", "2025-01-01"], "evidence_type": ["listing"] * 3,
                        "quality": [101, None, None]})
    with pytest.raises(ValidationError) as e:
        validate_cases(bad)
    fields = {(i.field, i.row) for i in e.value.issues}
    assert ("price_unit", 0) in fields and ("quality", 0) in fields and ("case_id", 1) in fields
    assert ("price", 1) in fields and ("date", 1) in fields and ("case_id", 2) in fields and ("price", 2) in fields
    msg = [i for i in e.value.issues if i.field == "price_unit"][0]
    assert "CNY/call" in msg.message_en and "CNY/call" in msg.message_zh


def test_same_unit_mask_never_matches_free_negotiated_or_other_units():
    c = cases_frame(pd.DataFrame({
        "case_id": list("abcdef"), "price_mode": ["one_off", "one_off", "per_call", "free", "negotiated", "one_off"],
        "price_unit": ["CNY", "CNY/year", "CNY/call", None, None, "CNY"], "price": [1, 2, 3, np.nan, np.nan, 0],
        "rights_type": ["holding"] * 6}))
    assert same_unit_mask(c, "one_off").tolist() == [True, False, False, False, False, False]
    assert not same_unit_mask(c, "free").any() and not same_unit_mask(c, "negotiated").any()


def test_store_round_trip(tmp_path):
    from valuation.library.store import open_store

    rep = import_dadada(write_exchange(tmp_path / "z.csv") and tmp_path / "z.csv")
    store = open_store(f"sqlite:///{tmp_path / 'lib.db'}")
    counts = store.put_many("cases", store_items(rep.imported), author="test")
    assert counts["created"] == rep.n_imported
    back = cases_frame_from_store(store).set_index("case_id").sort_index()
    mine = rep.imported.set_index("case_id").sort_index()
    assert list(back.index) == list(mine.index)
    assert np.allclose(back["price"].to_numpy(float), mine["price"].to_numpy(float))
    assert all(c in back.columns for c in CASE_COLUMNS if c != "case_id")


def test_seed_library_is_valid_and_synthetic():
    from valuation.core.models import repo_root

    c = validate_cases(pd.read_csv(repo_root() / "case_library" / "cases.csv"))
    assert len(c) == 2000 and c["case_id"].str.startswith("SYN-").all()
    assert c["source"].str.startswith("synthetic").all() and (c["licence"] == "Apache-2.0").all()
