"""Generate the SYNTHETIC seed case library ``case_library/cases.csv``.

Run: ``.venv/bin/python case_library/generate_cases.py [--n 2000] [--seed 20231001] [--out PATH]``

Every row is invented. Nothing here is a real listing or transaction, and no row of any real
data set is read or copied. The generator is *calibrated* to a handful of AGGREGATE figures of
public data-exchange listings (the DaDaDa sample of five Chinese exchanges, Apache-2.0,
ZJU-DIVER/DaDaDa snapshot 58476bd, 2024-08-17), computed once with
``valuation.library.cases.import_dadada`` and hard-coded below:

* per price mode: the median and inter-quartile range of log10(price) of the priced listings;
* the mix of product categories (all 2,768 listings, AWS taxonomy mapped to snake-case keys)
  and, for per-call products, the mix of the per-call listings;
* the mix of update frequencies (all listings).

On top of that it imposes a known HEDONIC structure, so that the market approach has signal
and the hedonic model can be checked for recovering it (see ``TRUE_COEFFICIENTS``)::

    ln P = base_mode + k_mode · ( c_category + b_rec,mode · ln(records / R_mode) + b_fld · ln(fields / 20)
           + f_update + r_rights + e_exclusivity + b_q · (Q − 80) + b_t · (year − 2023)
           + v_evidence ) + ε,       ε ~ N(0, σ_mode²)

``k_mode`` scales the structure so that it explains ``R2_TARGET`` (60 %) of the variance of
ln P; ``σ_mode`` and ``base_mode`` are solved so that the generated median and IQR of log10
price per mode match the targets (the observed aggregates; see ``TARGET_LOG10_PRICE``).
The coefficients of mode m are therefore ``k_mode × TRUE_COEFFICIENTS``. Unknown records / fields / quality are left empty
(they do not change the generated price: the price is drawn from the true values, which the
appraiser does not always observe — as in reality).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20231001
N_CASES = 2000

# ----------------------------------------------------------------------------- aggregates
# Computed once from /work/shared/data/dadada (five exchange files, 2,768 rows, 868 priced
# after import_dadada: Guiyang 元/次 ≥ 100 元 on datasets = one-off per order). log10 CNY.
OBSERVED_LOG10_PRICE = {            # mode: (n priced, median, q1, q3)
    "one_off": (622, 3.000, 3.000, 3.699),          # stacks at 1,000 / 5,000 元 (Zhejiang)
    "per_call": (240, -0.523, -1.000, 0.155),
    "subscription_year": (6, 4.489, 3.024, 6.098),  # only 6 rows: a weak target
}
# Targets used: the observed figures, except the subscription IQR — six rows are too few to
# fix a spread of three orders of magnitude; 1.2 (between one-off 0.70 and per-call 1.16) is used.
TARGET_LOG10_PRICE = {"one_off": (3.000, 0.699), "per_call": (-0.523, 1.155),
                      "subscription_year": (4.489, 1.200)}     # mode: (median, IQR)
# Share of the variance of ln P explained by the hedonic structure (an assumption: no published
# hedonic study of Chinese data-product prices was found). Per mode the structure is scaled by
# k_mode so that var(k·s) = R2_TARGET × target variance; the noise takes the rest.
R2_TARGET = 0.6
OBSERVED_ONE_OFF_P05_P95 = (3.0, 5.0)
# The one-off IQR (0.70) is compressed by list-price stacking on one exchange; the 5–95 %
# range (3.0–5.0, sd ≈ 0.61) says the same spread, so the IQR target is used as observed.
OBSERVED_CATEGORY_MIX_ALL = {
    "manufacturing": 0.221, "public_sector": 0.198, "financial_services": 0.190,
    "telecommunications": 0.169, "retail_marketing": 0.056, "transport": 0.044,
    "environmental": 0.043, "resources": 0.028, "healthcare": 0.024, "media_entertainment": 0.023,
    "other": 0.003}
OBSERVED_CATEGORY_MIX_PER_CALL = {
    "financial_services": 0.612, "telecommunications": 0.238, "public_sector": 0.058,
    "retail_marketing": 0.042, "transport": 0.029, "manufacturing": 0.012, "healthcare": 0.008}
OBSERVED_UPDATE_MIX_ALL = {
    "no-update": 0.650, "irregular": 0.148, "daily": 0.084, "monthly": 0.042, "yearly": 0.032,
    "real-time": 0.024, "weekly": 0.017, "quarterly": 0.004}
OBSERVED_MODE_MIX_ALL = {"negotiated": 0.493, "one_off": 0.215, "free": 0.193, "per_call": 0.097,
                         "subscription_year": 0.002}

# Mix used here (a documented deviation): subscriptions are over-sampled and negotiated/free
# under-sampled so that every priced mode has enough cases for a hedonic fit.
MODE_MIX = {"one_off": 0.55, "per_call": 0.25, "subscription_year": 0.12, "negotiated": 0.05,
            "free": 0.03}

# ----------------------------------------------------------------------------- structure
TRUE_COEFFICIENTS = {
    "category": {"financial_services": 0.40, "public_sector": -0.20, "telecommunications": 0.20,
                 "manufacturing": -0.10, "retail_marketing": 0.10, "transport": 0.00,
                 "environmental": -0.10, "resources": 0.00, "healthcare": 0.30,
                 "media_entertainment": 0.10, "other": 0.00},
    "records_elasticity": {"one_off": 0.35, "subscription_year": 0.30, "per_call": 0.25},
    "records_reference": {"one_off": 1e6, "subscription_year": 5e6, "per_call": 1e7},
    "fields_elasticity": 0.15,
    "update_frequency": {"real-time": 0.50, "daily": 0.35, "weekly": 0.20, "monthly": 0.10,
                         "quarterly": 0.05, "yearly": 0.00, "irregular": -0.05, "no-update": -0.15},
    "rights_type": {"holding": 0.30, "product_operation": 0.00, "processing_use": -0.20},
    # consistent with the X5 table of models/market_grid.yaml (exclusive 1.00, sole 0.95, non-exclusive 0.90)
    "exclusivity": {"exclusive": float(np.log(1 / 0.90)), "sole": float(np.log(0.95 / 0.90)),
                    "non_exclusive": 0.0},
    "quality_per_point": 0.0125,      # ≈ elasticity 1 at Q = 80 (X1 = Q_s / Q_c)
    "year_trend": 0.04,               # +4 % a year
    "evidence_type": {"listing": 0.0, "transaction": float(np.log(0.90)), "appraisal": float(np.log(0.95))},
}
RIGHTS_MIX = {"product_operation": 0.60, "processing_use": 0.30, "holding": 0.10}
EXCLUSIVITY_MIX = {"non_exclusive": 0.80, "sole": 0.12, "exclusive": 0.08}
EVIDENCE_MIX = {"listing": 0.70, "transaction": 0.25, "appraisal": 0.05}
PLATFORMS = {"synthetic-exchange-1": 0.22, "synthetic-exchange-2": 0.20, "synthetic-exchange-3": 0.18,
             "synthetic-exchange-4": 0.16, "synthetic-exchange-5": 0.12, "synthetic-otc": 0.12}
REGIONS = ["北京", "上海", "广东", "浙江", "贵州", "江苏", "四川", "湖北", "山东", "全国"]
CATEGORY_ZH = {"financial_services": ("金融", ["企业信用", "小微授信", "保险理赔", "支付风控", "资产估值"]),
               "public_sector": ("公共", ["政务服务", "企业登记", "社保统计", "公共资源交易", "城市运行"]),
               "telecommunications": ("通信", ["号码状态", "在网时长", "基站位置", "流量画像", "通信指数"]),
               "manufacturing": ("工业", ["大宗商品指数", "设备运行", "产业链行情", "能耗监测", "供应链"]),
               "retail_marketing": ("商业", ["消费洞察", "门店客流", "电商交易", "品牌舆情", "位置营销"]),
               "transport": ("交通", ["道路流量", "物流轨迹", "车辆里程", "航运指数", "出行OD"]),
               "environmental": ("环境", ["空气质量", "气象格点", "水文监测", "碳排放", "降水统计"]),
               "resources": ("资源", ["遥感影像", "耕地样本", "矿产勘查", "林草资源", "地质灾害"]),
               "healthcare": ("医疗", ["临床科研", "医保结算", "药品流通", "健康档案", "疾病监测"]),
               "media_entertainment": ("文娱", ["版权作品", "影视票房", "内容标签", "音乐曲库", "新闻语料"]),
               "other": ("其他", ["综合数据", "行业报告", "专题库", "知识图谱", "语料"])}
MODE_SUFFIX = {"one_off": "数据集", "subscription_year": "数据订阅", "per_call": "查询接口",
               "negotiated": "数据产品", "free": "开放数据"}
LN10 = float(np.log(10))


def _draw(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(mix))
    p = np.array(list(mix.values()), dtype=float)
    return rng.choice(keys, size=n, p=p / p.sum())


def structural_log_price(df: pd.DataFrame) -> np.ndarray:
    """The systematic part of ln P (without base and noise) from the TRUE values."""
    tc = TRUE_COEFFICIENTS
    mode = df["price_mode"].to_numpy(object)
    rec_el = np.array([tc["records_elasticity"].get(m, 0.0) for m in mode])
    rec_ref = np.array([tc["records_reference"].get(m, 1e6) for m in mode])
    year = pd.to_datetime(df["date"]).dt.year.to_numpy(float) + \
        (pd.to_datetime(df["date"]).dt.day_of_year.to_numpy(float) - 1) / 365.25
    return (df["category"].map(tc["category"]).to_numpy(float)
            + rec_el * np.log(df["_records_true"].to_numpy(float) / rec_ref)
            + tc["fields_elasticity"] * np.log(df["_fields_true"].to_numpy(float) / 20.0)
            + df["update_frequency"].map(tc["update_frequency"]).to_numpy(float)
            + df["rights_type"].map(tc["rights_type"]).to_numpy(float)
            + df["exclusivity"].map(tc["exclusivity"]).to_numpy(float)
            + tc["quality_per_point"] * (df["_quality_true"].to_numpy(float) - 80.0)
            + tc["year_trend"] * (year - 2023.0)
            + df["evidence_type"].map(tc["evidence_type"]).to_numpy(float))


def generate(n: int = N_CASES, seed: int = SEED) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """The synthetic cases (schema of ``valuation.library.cases``) and the calibration used
    (``{mode: {base, sigma, median_log10, iqr_log10}}``)."""
    rng = np.random.default_rng(seed)
    mode = _draw(rng, MODE_MIX, n)
    cat = _draw(rng, OBSERVED_CATEGORY_MIX_ALL, n)
    pc = mode == "per_call"
    cat[pc] = _draw(rng, OBSERVED_CATEGORY_MIX_PER_CALL, int(pc.sum()))
    upd = _draw(rng, OBSERVED_UPDATE_MIX_ALL, n)
    ref = np.array([TRUE_COEFFICIENTS["records_reference"].get(m, 1e6) for m in mode])
    records = np.maximum(np.round(ref * np.exp(rng.normal(0, 1.8, n))), 100)
    fields = np.clip(np.round(20 * np.exp(rng.normal(0, 0.8, n))), 1, 500)
    quality = np.clip(np.round(rng.normal(80, 8, n), 1), 50, 99)
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-09-30")
    days = rng.integers(0, (end - start).days + 1, n)
    dates = (start + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    df = pd.DataFrame({
        "case_id": [f"SYN-{i + 1:05d}" for i in range(n)],
        "category": cat, "update_frequency": upd,
        "rights_type": _draw(rng, RIGHTS_MIX, n), "exclusivity": _draw(rng, EXCLUSIVITY_MIX, n),
        "price_mode": mode, "date": dates, "region": rng.choice(REGIONS, n),
        "evidence_type": _draw(rng, EVIDENCE_MIX, n), "platform": _draw(rng, PLATFORMS, n),
        "_records_true": records, "_fields_true": fields, "_quality_true": quality,
    })
    s = structural_log_price(df)
    calib: dict[str, dict[str, float]] = {}
    lnp = np.full(n, np.nan)
    for m, (med, iqr) in TARGET_LOG10_PRICE.items():
        sel = mode == m
        target_sd = iqr * LN10 / 1.349
        s_m = s[sel]
        struct_sd = (np.quantile(s_m, 0.75) - np.quantile(s_m, 0.25)) / 1.349
        k = float(np.sqrt(R2_TARGET) * target_sd / struct_sd)
        sigma = float(np.sqrt(1.0 - R2_TARGET) * target_sd)
        eps = rng.normal(0, sigma, sel.sum())
        base = float(med * LN10 - np.median(k * s_m + eps))
        lnp[sel] = base + k * s_m + eps
        calib[m] = {"base": base, "scale": k, "sigma": sigma, "median_log10": med, "iqr_log10": iqr}
    price = np.exp(lnp)
    price = np.where(price >= 1, np.round(price, 0), np.round(price, 3))
    price = np.where(price > 0, price, 0.001)
    df["price"] = np.where(np.isin(mode, list(OBSERVED_LOG10_PRICE)), price, np.nan)
    # what the appraiser observes: some scale facts and quality scores are unknown
    rec_obs = np.where(rng.random(n) < 0.75, records, np.nan)
    fld_obs = np.where(rng.random(n) < 0.85, fields, np.nan)
    q_known = rng.random(n) < np.where(df["evidence_type"].to_numpy() == "listing", 0.6, 0.9)
    words = np.array([rng.choice(CATEGORY_ZH[c][1]) for c in cat])
    units = {"one_off": "CNY", "subscription_year": "CNY/year", "per_call": "CNY/call",
             "free": "", "negotiated": ""}
    out = pd.DataFrame({
        "case_id": df["case_id"],
        "title": [f"{CATEGORY_ZH[c][0]}·{w}{MODE_SUFFIX[m]}（合成）" for c, w, m in zip(cat, words, mode)],
        "category": cat, "industry": [CATEGORY_ZH[c][0] for c in cat],
        "records": rec_obs, "fields": fld_obs,
        "size_bytes": np.where(np.isnan(rec_obs) | np.isnan(fld_obs), np.nan,
                               np.round(records * fields * 48.0)),
        "update_frequency": upd, "rights_type": df["rights_type"], "exclusivity": df["exclusivity"],
        "price_mode": mode, "price_unit": [units[m] for m in mode], "price": df["price"],
        "date": dates, "region": df["region"], "evidence_type": df["evidence_type"],
        "source": f"synthetic: case_library/generate_cases.py seed={seed}", "licence": "Apache-2.0",
        "quality": np.where(q_known, quality, np.nan), "platform": df["platform"], "url": "",
        "provenance": "synthetic",   # never evidence for a conclusion (issue 16)
    })
    return out, calib


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=N_CASES)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=HERE / "cases.csv")
    a = ap.parse_args(argv)
    df, calib = generate(a.n, a.seed)
    df.to_csv(a.out, index=False, float_format="%.10g", lineterminator="\n")
    print(f"wrote {len(df)} synthetic cases to {a.out}")
    for m, c in calib.items():
        lp = np.log10(df.loc[df["price_mode"] == m, "price"])
        print(f"  {m:18s} base={c['base']:.3f} scale={c['scale']:.3f} sigma={c['sigma']:.3f}  median log10 "
              f"{lp.median():.3f} (target {c['median_log10']:.3f})  IQR {lp.quantile(.75) - lp.quantile(.25):.3f} "
              f"(target {c['iqr_log10']:.3f})")


if __name__ == "__main__":
    main()
