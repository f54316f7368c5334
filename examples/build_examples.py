"""Writes the example asset cards and the small portfolio (run: python examples/build_examples.py).

Amounts are in CNY. The cards are realistic but invented; they exercise every approach and the
holder types and uses the Ministry of Finance guidance names.
"""
import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
Q = {"normativeness": 90, "completeness": 88, "accuracy": 86, "consistency": 89, "timeliness": 84,
     "accessibility": 92}

CARDS = {
    "E01_soe_transport_licensing": {
        "asset": {"asset_id": "E01-TRANS-2025", "name": "城市道路交通流量数据集",
                  "description": "全市 3,200 个卡口的分钟级交通流量与车速数据，授权给导航与物流企业使用",
                  "holder": "某市交通投资集团有限公司", "holder_type": "soe", "category": "transport",
                  "industry": "交通运输业", "region": "某市", "scenario": "导航路径优化与物流调度",
                  "records": 120000000, "fields": 24, "update_frequency": "real-time",
                  "rights": {"type": "product_operation", "exclusivity": "non_exclusive",
                             "grantor": "某市交通运输局", "term_start": "2024-01-01",
                             "term_end": "2031-12-31", "acquisition": "original"},
                  "public_data": False, "use_category": "industry", "quality": Q,
                  "book_value": 3200000, "recognised_as": "intangible", "pledged": False},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "licensing",
                       "value_type": "market", "proposed_price": 5200000},
        "cost": {"components": {"preliminary": 300000, "direct": 2600000, "indirect": 700000,
                                "taxes": 60000},
                 "opportunity_rate": 0.04,
                 "adjustment": {"basis": "combined", "years_used": 2, "years_remaining": 5}},
        "income": {"model": "royalty", "periods": 5, "timing": "mid",
                   "revenue": {"base": 18000000, "growth": [0.12, 0.10, 0.08, 0.05]},
                   "royalty_rate": 0.08, "tax_rate": 0.25,
                   "income_basis": "post_tax", "rate_basis": "post_tax",
                   "discount": {"method": "build_up", "risk_free": 0.0175, "management": 0.03,
                                "circulation": 0.03, "security": 0.025, "regulation": 0.02,
                                "source": "10 年期国债收益率（2025-12-31）+ 风险溢价评分"}},
        "market": {"price_mode": "one_off", "comparables": [
            {"case_id": "T-A", "price": 5000000, "quality": 85, "date_index": 100, "records": 100000000,
             "rights_type": "product_operation", "exclusivity": "non_exclusive", "price_mode": "one_off",
             "evidence_type": "transaction"},
            {"case_id": "T-B", "price": 6200000, "quality": 90, "date_index": 102, "records": 150000000,
             "rights_type": "product_operation", "exclusivity": "non_exclusive", "price_mode": "one_off",
             "evidence_type": "transaction"},
            {"case_id": "T-C", "price": 4300000, "quality": 82, "date_index": 98, "records": 90000000,
             "rights_type": "product_operation", "exclusivity": "non_exclusive", "price_mode": "one_off",
             "evidence_type": "listing", "x5": 0.95}]},
        # 入表 (财会〔2023〕11号): self-developed, available from 2024-01, life = the 8-year rights term
        "accounting": {"intent": "own_use", "acquired_by": "self_developed", "acquisition_date": "2023-03-01",
                       "available_for_use": "2024-01-01", "useful_life_years": 8,
                       "development_criteria_met": True, "disposal_costs": 150000,
                       "costs": [{"category": "需求调研与可行性研究", "amount": 300000, "phase": "research"},
                                 {"category": "采集、清洗、标注", "amount": 2600000, "phase": "development"},
                                 {"category": "平台与算力分摊", "amount": 700000, "phase": "development"}]},
    },
    "E02_admin_registry_governance": {
        "asset": {"asset_id": "E02-REG-2025", "name": "市场主体登记信息库",
                  "holder": "某市市场监督管理局", "holder_type": "administrative",
                  "category": "public_administration", "industry": "公共管理", "region": "某市",
                  "scenario": "政务服务与监管", "records": 2100000, "fields": 65,
                  "update_frequency": "daily",
                  "rights": {"type": "holding", "exclusivity": "exclusive", "acquisition": "original"},
                  "public_data": True, "use_category": "public_governance",
                  "benefit_type": "service_potential", "quality": Q, "book_value": 1800000,
                  "pledged": False},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "accounting", "value_type": "in_use"},
        "cost": {"lines": [
            {"category": "preliminary", "subcategory": "规划与标准制定", "amount": 150000,
             "date_incurred": "2021-06-30", "price_index": 96},
            {"category": "direct", "subcategory": "采集与录入", "amount": 900000,
             "date_incurred": "2022-06-30", "price_index": 98},
            {"category": "direct", "subcategory": "清洗与治理", "amount": 420000,
             "date_incurred": "2023-06-30", "price_index": 99},
            {"category": "indirect", "subcategory": "政务云资源分摊", "amount": 1200000,
             "date_incurred": "2024-06-30", "price_index": 100, "allocation_share": 0.35}],
            "price_index_valuation": 101, "adjustment": {"basis": "quality"}},
    },
    "E03_enterprise_ecommerce": {
        "asset": {"asset_id": "E03-ECOM-2025", "name": "电商用户行为与交易数据资产",
                  "holder": "某电子商务有限公司", "holder_type": "enterprise", "category": "retail",
                  "industry": "批发和零售业", "scenario": "精准营销与选品", "records": 450000000,
                  "fields": 38, "update_frequency": "daily",
                  "rights": {"type": "processing_use", "exclusivity": "sole", "term_end": "2032-12-31"},
                  "use_category": "industry", "quality": {**Q, "timeliness": 90},
                  "book_value": 2500000, "recognised_as": "intangible"},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "financing",
                       "value_type": "investment"},
        "cost": {"components": {"preliminary": 400000, "direct": 3100000, "indirect": 900000,
                                "opportunity": 150000, "taxes": 80000},
                 "adjustment": {"basis": "quality"}},
        "income": {"model": "excess", "periods": 5, "timing": "mid",
                   "nopat": [3000000, 3200000, 3300000, 3300000, 3200000],
                   "revenue": [10000000, 10800000, 11200000, 11200000, 10900000],
                   "contributory": [
                       {"asset_class": "working_capital", "rate": 0.04, "revenue_share": 0.20},
                       {"asset_class": "fixed_assets", "rate": 0.06, "value": 5000000},
                       {"asset_class": "workforce", "rate": 0.10, "value": 4000000},
                       {"asset_class": "other_intangibles", "rate": 0.03, "revenue_share": 1.0,
                        "tax_rate": 0.25}],
                   "attrition": {"rate": 0.10, "start_period": 2},
                   "income_basis": "post_tax", "rate_basis": "post_tax", "discount_rate": 0.16},
    },
    "E04_public_data_authorised_operation": {
        "asset": {"asset_id": "E04-PUB-2025", "name": "企业信用综合评价数据产品",
                  "holder": "某市数据运营有限公司", "holder_type": "soe", "category": "financial_services",
                  "industry": "金融业", "scenario": "普惠金融授信", "records": 5000000, "fields": 40,
                  "update_frequency": "monthly",
                  "rights": {"type": "product_operation", "exclusivity": "non_exclusive",
                             "grantor": "某市数据局", "term_start": "2025-01-01", "term_end": "2029-12-31"},
                  "public_data": True, "use_category": "industry", "quality": Q,
                  "book_value": 1000000},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "transfer", "value_type": "market"},
        "cost": {"components": {"preliminary": 200000, "direct": 1500000, "indirect": 300000,
                                "opportunity": 50000, "taxes": 20000},
                 "adjustment": {"basis": "quality"}},
        "income": {"model": "split", "periods": 4,
                   "base": {"base": 6000000, "growth": [0.15, 0.10, 0.05]},
                   "split_rate": 0.12, "income_basis": "pre_tax", "rate_basis": "pre_tax",
                   "discount_rate": 0.14},
        "market": {"use_library": True, "k": 5, "price_mode": "one_off"},
    },
    "E05_purchased_third_party": {
        "asset": {"asset_id": "E05-PURCH-2025", "name": "外购工商与司法风险数据集",
                  "holder": "某城市商业银行股份有限公司", "holder_type": "soe", "category": "financial_services",
                  "industry": "金融业", "records": 30000000, "fields": 55, "update_frequency": "monthly",
                  "rights": {"type": "processing_use", "exclusivity": "non_exclusive",
                             "term_end": "2027-06-30", "acquisition": "derived"},
                  "quality": Q, "book_value": 900000, "recognised_as": "intangible"},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "accounting", "value_type": "in_use"},
        "cost": {"lines": [
            {"category": "direct", "subcategory": "数据采购", "amount": 800000, "date_incurred": "2024-07-01"},
            {"category": "direct", "subcategory": "清洗与入库", "amount": 120000, "date_incurred": "2024-08-15"},
            {"category": "taxes", "subcategory": "不可抵扣增值税", "amount": 48000, "date_incurred": "2024-07-01"}],
            "adjustment": {"basis": "life", "years_used": 1.5, "years_remaining": 1.5}},
        "market": {"price_mode": "one_off", "comparables": [
            {"case_id": "P-A", "price": 850000, "quality": 84, "date_index": 99, "records": 28000000,
             "rights_type": "processing_use", "exclusivity": "non_exclusive", "price_mode": "one_off"},
            {"case_id": "P-B", "price": 1000000, "quality": 88, "date_index": 100, "records": 35000000,
             "rights_type": "processing_use", "exclusivity": "non_exclusive", "price_mode": "one_off"},
            {"case_id": "P-C", "price": 760000, "quality": 80, "date_index": 97, "records": 25000000,
             "rights_type": "processing_use", "exclusivity": "non_exclusive", "price_mode": "one_off"}]},
        # 入表: purchased, usage below plan (an impairment indicator), life = the rights term
        "accounting": {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2024-07-01",
                       "available_for_use": "2024-08-15", "useful_life_years": 3, "disposal_costs": 20000,
                       "costs": [{"category": "数据采购价款", "amount": 800000, "phase": "acquisition"},
                                 {"category": "清洗与入库", "amount": 120000, "phase": "acquisition"},
                                 {"category": "不可抵扣增值税", "amount": 48000, "phase": "acquisition"}],
                       "indicators": {"planned": 1200000, "actual": 850000}},
    },
    "E06_pledged_loan": {
        "asset": {"asset_id": "E06-PLEDGE-2025", "name": "智能制造设备运行数据资产",
                  "holder": "某装备制造股份有限公司", "holder_type": "enterprise", "category": "manufacturing",
                  "industry": "制造业", "scenario": "预测性维护降本", "records": 800000000, "fields": 120,
                  "update_frequency": "real-time",
                  "rights": {"type": "holding", "exclusivity": "exclusive", "term_end": "2035-12-31"},
                  "quality": Q, "book_value": 4000000, "recognised_as": "intangible", "pledged": True},
        "engagement": {"valuation_date": "2025-12-31", "purpose": "pledge", "value_type": "market"},
        "cost": {"components": {"preliminary": 500000, "direct": 3800000, "indirect": 1200000,
                                "taxes": 100000},
                 "opportunity_rate": 0.05, "adjustment": {"basis": "quality"}},
        "income": {"model": "incremental", "periods": 6, "incremental_kind": "cost_saving",
                   "savings": [1500000, 1800000, 2000000, 2000000, 1900000, 1700000],
                   "tax_rate": 0.25, "income_basis": "pre_tax", "rate_basis": "pre_tax",
                   "discount_rate": 0.15},
    },
}


def main() -> None:
    for name, card in CARDS.items():
        (HERE / "cards" / f"{name}.json").write_text(
            json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    rows = []
    for i in range(12):
        rows.append({
            "asset_id": f"PF-{i + 1:03d}", "name": f"示例数据资产 {i + 1}",
            "holder_type": ["soe", "enterprise", "public_institution"][i % 3],
            "category": ["transport", "financial_services", "retail"][i % 3],
            "records": 1000000 * (i + 1), "fields": 20 + i, "update_frequency": "daily",
            "rights_type": "product_operation", "rights_exclusivity": "non_exclusive",
            "rights_term_end": "2030-12-31", "use_category": "industry",
            "quality_normativeness": 85 + i % 5, "quality_completeness": 88, "quality_accuracy": 86,
            "quality_consistency": 87, "quality_timeliness": 80 + i % 7, "quality_accessibility": 90,
            "book_value": 500000 + 100000 * i, "previous_value": 600000 + 150000 * i,
            "previous_valuation_date": "2024-12-31", "pledged": False,
            "valuation_date": "2025-12-31", "purpose": "transfer",
            "cost_preliminary": 80000 + 5000 * i, "cost_direct": 600000 + 40000 * i,
            "cost_indirect": 120000, "cost_taxes": 10000, "cost_adjustment_basis": "quality",
            "income_model": "royalty", "income_periods": 5, "income_revenue_base": 4000000 + 250000 * i,
            "income_revenue_growth": 0.06, "income_royalty_rate": 0.05, "income_tax_rate": 0.25,
            "income_income_basis": "post_tax", "income_rate_basis": "post_tax",
            "income_discount_rate": 0.14,
        })
    df = pd.DataFrame(rows)
    df.to_csv(HERE / "portfolio_small.csv", index=False, encoding="utf-8")
    comps = pd.DataFrame([{"asset_id": r["asset_id"], "case_id": f"{r['asset_id']}-C{j}",
                           "price": (700000 + 60000 * k) * (0.9 + 0.1 * j), "quality": 84 + j,
                           "date_index": 99 + j, "records": r["records"] * (0.8 + 0.2 * j),
                           "rights_type": "product_operation", "exclusivity": "non_exclusive",
                           "price_mode": "one_off"}
                          for k, r in enumerate(rows) for j in range(3)])
    with pd.ExcelWriter(HERE / "portfolio_small.xlsx", engine="openpyxl") as xw:
        df.to_excel(xw, sheet_name="assets", index=False)
        comps.to_excel(xw, sheet_name="market.comparables", index=False)


if __name__ == "__main__":
    main()
