"""Leakage-free back-test splits (issue 16, "checked on listings you have not seen"): a listing
family (same exchange, provider, title up to digits) or a provider never lies on both sides,
and a listing posted twice is imported once."""
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from valuation.backtest.splitting import group_keys, split_mask
from valuation.library.cases import import_dadada
from valuation.library.cases.listings import family_key, listing_key, normalise_title

COLS = ["title", "provider", "description", "update_frequency", "coverage", "dimension", "url", "category",
        "category_aws", "platform", "currency", "price_mode", "price", "volume", "size", "data_sample"]


def _listings(seed: int = 0) -> pd.DataFrame:
    """40 series × 3 years on two exchanges (Zhejiang: no provider), each series one price."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(40):
        plat = "Zhejiang Big Data Exchange" if s % 2 else "Beijing International Data Exchange"
        prov = "" if s % 2 else f"供应商{s % 5}"
        price = float(rng.choice([1000.0, 5000.0, 300.0 * (s + 1)]))
        for year in (2020, 2021, 2022):
            rows.append({"title": f"商品{chr(0x4e00 + s)} {year}年度指数数据", "provider": prov, "description": "",
                         "update_frequency": "no-update", "coverage": "CN", "dimension": 0,
                         "url": f"https://ex/{s}/{year}", "category": "c", "category_aws": "Manufacturing Data",
                         "platform": plat, "currency": "RMB", "price_mode": "one-off", "price": price,
                         "volume": 0, "size": 0, "data_sample": ""})
    return pd.DataFrame(rows, columns=COLS)


def test_normalised_title_and_family_by_hand():
    assert normalise_title(" ＡＢＣ 数据-2021 ") == "abc数据2021"          # NFKC, case, spaces, punctuation
    assert normalise_title("铝2021年度指数数据", digits=False) == normalise_title("铝 2022 年度指数数据", digits=False)
    df = pd.DataFrame({"platform": ["P", "P", "P"], "provider": ["a", "a", "b"],
                       "title": ["铝2021年度指数", "铝 2022年度指数", "铝2021年度指数"], "price": [1, 1, 1],
                       "price_mode": ["one_off"] * 3})
    f = family_key(df)
    assert f.iloc[0] == f.iloc[1] != f.iloc[2]                           # other provider: other family
    assert listing_key(df).nunique() == 3


@pytest.mark.parametrize("by", ["title", "provider"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_split_never_puts_a_family_on_both_sides(by, seed):
    df = _listings(seed)
    fit = split_mask(df, by, share=0.7, seed=seed)
    fam = family_key(df).to_numpy(object)
    assert 0 < fit.sum() < len(df)
    assert not set(fam[fit]) & set(fam[~fit])
    if by == "provider":
        named = df["provider"].to_numpy(object) != ""
        prov = (df["platform"] + "|" + df["provider"]).to_numpy(object)
        assert not set(prov[fit & named]) & set(prov[~fit & named])
    # both exchanges on both sides (the split is drawn per exchange)
    assert set(df["platform"][fit]) == set(df["platform"][~fit]) == set(df["platform"])


def test_row_split_would_leak_families():
    """The control: a plain row split puts most families on both sides (what the grouped split
    prevents; the test above could otherwise pass by accident)."""
    df = _listings(0)
    fit = split_mask(df, "row", share=0.7, seed=0)
    fam = family_key(df).to_numpy(object)
    assert len(set(fam[fit]) & set(fam[~fit])) >= 10
    assert len(set(group_keys(df, "title"))) == 40


def test_duplicate_listing_is_imported_once(tmp_path):
    df = _listings(0).iloc[:4].copy()
    again = df.iloc[[1]].assign(url="https://ex/other-url", title=lambda d: d["title"].str.replace(" ", "  "))
    f = tmp_path / "zj.csv"
    pd.concat([df, again]).to_csv(f, index=False)
    rep = import_dadada(f)
    assert rep.balanced and rep.n_imported == 4
    sk = rep.skipped.set_index("row")
    assert sk.loc[5, "reason"] == "duplicate_listing" and "重复挂牌" in sk.loc[5, "reason_zh"]


def test_backtest_cli_splits_the_case_files_by_family_without_holdout(tmp_path):
    from valuation.cli import app

    f = tmp_path / "listings.csv"
    _listings(0).to_csv(f, index=False)
    out = tmp_path / "pred.csv"
    r = CliRunner().invoke(app, ["backtest", "--cases", str(f), "--group-by", "title", "--seed", "3",
                                 "--predictions", str(out), "--lang", "en"])
    assert r.exit_code == 0, r.output
    pred = pd.read_csv(out)
    lib = import_dadada(f).imported
    fit_titles = set(lib["title"]) - set(pred["title"])
    fam = lambda ts: {normalise_title(t, digits=False) for t in ts}  # noqa: E731  (one exchange per series)
    assert len(pred) > 0 and not fam(pred["title"]) & fam(fit_titles)
    bad = CliRunner().invoke(app, ["backtest", "--cases", str(f), "--group-by", "url"])
    assert bad.exit_code == 2 and "--group-by" in bad.output


def test_seen_level_of_a_subject_by_hand(tmp_path):
    """The conformal quantile is chosen by what the subject shares with the library: 0 = its
    family (another year of the series), 1 = only its provider, 2 = neither."""
    from valuation.methods.market.learned import fit_learned, seen_level

    f = tmp_path / "listings.csv"
    _listings(0).to_csv(f, index=False)
    model = fit_learned(import_dadada(f).imported)
    bj = "Beijing International Data Exchange"
    subj = pd.DataFrame({"platform": [bj, bj, bj, "Zhejiang Big Data Exchange"],
                         "provider": ["供应商0", "供应商0", "新供应商", ""],
                         "title": ["商品一2030年度指数数据", "全新产品", "全新产品", "全新产品"]})
    assert seen_level(subj, 4, model.families, model.providers).tolist() == [0, 1, 2, 2]
    got = model.predict(subj.assign(category="manufacturing"), 4)
    assert (got["low"] <= got["estimate"]).all() and (got["estimate"] <= got["high"]).all()
