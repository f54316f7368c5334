"""Cards shared by the cost-approach tests (fixtures F1/F3 and E1 of docs/DOMAIN.md §8)."""
import numpy as np

F3 = [[1, 1 / 2, 1 / 3, 1, 2, 3], [2, 1, 1 / 2, 2, 3, 4], [3, 2, 1, 3, 4, 5],
      [1, 1 / 2, 1 / 3, 1, 2, 3], [1 / 2, 1 / 3, 1 / 4, 1 / 2, 1, 2], [1 / 3, 1 / 4, 1 / 5, 1 / 3, 1 / 2, 1]]
F3_SCORES = {"normativeness": 92, "completeness": 88, "accuracy": 85, "consistency": 90,
             "timeliness": 80, "accessibility": 95}
# F1 cost lines (万元): 前期规划 20; 采集 60; 存储 25; 清洗加工 45; 标注 30; 质量控制 10; 安全 12; 运维 18; 间接 30
F1_LINES = [("preliminary", "前期规划", 20), ("direct", "采集", 60), ("direct", "存储", 25),
            ("direct", "清洗加工", 45), ("direct", "标注", 30), ("direct", "质量控制", 10),
            ("direct", "安全", 12), ("direct", "运维", 18), ("indirect", "平台分摊", 30)]


def f1_card(basis="combined", rounding="exact", aid="F1"):
    adj = {"basis": basis}
    if basis in ("combined", "life"):
        adj.update(years_used=2, years_remaining=3)
    return {"asset": {"asset_id": aid, "name": "F1 数据集", "quality": {**F3_SCORES, "ahp_matrix": F3}},
            "engagement": {"valuation_date": "2025-12-31", "rounding": rounding},
            "cost": {"lines": [{"category": c, "subcategory": s, "amount": a} for c, s, a in F1_LINES],
                     "opportunity_rate": 0.05, "adjustment": adj}}


def e1_card():
    """E1 (published article): 50 + 30 + (10 + 15) × 3 = 155万元, 成新率 70 % → 108.5万元."""
    return {"asset": {"asset_id": "E1", "name": "数据平台"},
            "engagement": {"valuation_date": "2025-12-31"},
            "cost": {"lines": [{"category": "direct", "subcategory": "数据采集", "amount": 50},
                               {"category": "direct", "subcategory": "清洗加工", "amount": 30},
                               {"category": "direct", "subcategory": "存储 10×3 年", "amount": 10 * 3},
                               {"category": "indirect", "subcategory": "管理 15×3 年", "amount": 15 * 3}],
                     "adjustment": {"basis": "given", "value": 0.70}}}


def random_cards(n, seed):
    """Random but valid cards over every δ basis, both input styles and both variants."""
    rng = np.random.default_rng(seed)
    cards = []
    bases = ["quality", "life", "combined", "given", "expert"]
    for i in range(n):
        basis = bases[i % len(bases)]
        adj = {"basis": basis}
        if basis in ("life", "combined"):
            adj.update(years_used=float(rng.uniform(0, 5)), years_remaining=float(rng.uniform(0.5, 8)))
        if basis == "given":
            adj["value"] = float(rng.uniform(0.1, 1))
        if basis == "expert":
            adj.update(functional_obsolescence=float(rng.uniform(0, 0.3)), economic_obsolescence=float(rng.uniform(0, 0.3)))
        c = {"opportunity_rate": float(rng.uniform(0, 0.1)), "profit_rate": float(rng.uniform(0, 0.2)),
             "adjustment": adj}
        if i % 2:
            c["components"] = {k: float(rng.uniform(0, 1e6)) for k in ("preliminary", "direct", "indirect", "taxes")}
        else:
            c["price_index_valuation"] = float(rng.uniform(95, 120))
            c["lines"] = [{"category": str(rng.choice(["preliminary", "direct", "indirect", "taxes"])),
                           "amount": float(rng.uniform(0, 1e5)), "price_index": float(rng.uniform(90, 110)),
                           "allocation_share": float(rng.uniform(0.1, 1))} for _ in range(int(rng.integers(1, 5)))]
        if i % 7 == 3:
            c["variant"] = "literature"
            c["literature"] = {"return_rate": float(rng.uniform(0, 0.3)), "circulation": float(rng.uniform(0.5, 1.2)),
                               "scarcity": float(rng.uniform(0, 0.3)), "risk": float(rng.uniform(0, 0.3))}
        q = {d: float(rng.uniform(40, 100)) for d in F3_SCORES}
        if i % 4 == 1:
            q["ahp_matrix"] = F3
        cards.append({"asset": {"asset_id": f"R{i:04d}", "name": "r", "quality": q},
                      "engagement": {"valuation_date": "2025-12-31",
                                     "rounding": "publication" if i % 5 == 2 else "exact"},
                      "cost": c})
    return cards
