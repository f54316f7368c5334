"""Build notebooks/01_cost_and_quality.ipynb (run: .venv/bin/python notebooks/build_01.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 01 数据质量评价与成本法 / Data quality and the cost approach\n\n"
       "One asset (fixture F1 of `docs/DOMAIN.md` §8.2) walked through:\n\n"
       "1. GB/T 36344-2018 质量指标：六个维度、20 个子指标，X = A/B（重复率、脏数据出现率取 1 − A/B）；\n"
       "2. 层次分析法（AHP，第十七条）求维度权重：主特征向量、λmax、CI、CR < 0.10（fixture F3）；熵权法（F4）与组合权重；\n"
       "3. 综合质量得分 Q = Σ w·s = 87.4357；\n"
       "4. 成本法（第二十二条及附件）P = C × δ：C = 前期 + 直接 + 间接 + 机会成本 + 相关税费 = 262.5万元，"
       "δ = δ_q × δ_life = 0.874357 × 0.6 → **P = 137.71万元**（发布舍入模式下 Q 先取 87.44 → 137.72）。\n\n"
       "Weights 1/6 per dimension are engineering defaults — GB/T 36344 defines indicators, not weights."),
    code("import numpy as np\nimport pandas as pd\n"
         "from valuation.core.portfolio import Portfolio\n"
         "from valuation.methods import cost\n"
         "from valuation.quality import (INDICATORS, ahp, ahp_geometric, combine_weights, composite,\n"
         "                               entropy_weights, indicator_scores)\n"
         "pd.set_option('display.width', 160)"),
    md("## 1. 子指标得分 / Sub-indicator scores (X = A/B)\n\n"
       "The catalogue has 20 sub-indicators; two are inverse (lower is better)."),
    code("print(len(INDICATORS), 'sub-indicators; inverse:',\n"
         "      [k for k, v in INDICATORS.items() if v.orientation == 'inverse'])\n"
         "measures = pd.DataFrame({'asset_id': 'F1',\n"
         "    'indicator': ['accuracy.content_correctness', 'accuracy.duplicate_rate', 'accuracy.dirty_rate'],\n"
         "    'a': [9600, 150, 300], 'b': [10000, 10000, 10000], 'score': [None, None, None]})\n"
         "s = pd.DataFrame(indicator_scores(measures).columns())  # arrays → a table, here at the edge\n"
         "s[['indicator', 'orientation', 'ratio', 'x', 'score']]"),
    code("pd.DataFrame(indicator_scores(measures, scale='piecewise').columns())[['indicator', 'x', 'score']]"),
    md("## 2. AHP 维度权重 / AHP weights of the six dimensions (F3)\n\n"
       "Order: 规范性, 完整性, 准确性, 一致性, 时效性, 可访问性."),
    code("F3 = np.array([[1, 1/2, 1/3, 1, 2, 3], [2, 1, 1/2, 2, 3, 4], [3, 2, 1, 3, 4, 5],\n"
         "               [1, 1/2, 1/3, 1, 2, 3], [1/2, 1/3, 1/4, 1/2, 1, 2], [1/3, 1/4, 1/5, 1/3, 1/2, 1]])\n"
         "r = ahp(F3)\n"
         "print('weights', r.weights.round(4))\n"
         "print(f'lambda_max = {r.lambda_max:.4f}, CI = {r.ci:.4f}, RI = {r.ri}, CR = {r.cr:.4f}')\n"
         "print('geometric mean', ahp_geometric(F3).round(4))"),
    code("scores = [92, 88, 85, 90, 80, 95]\n"
         "q = composite(scores, r.weights)\n"
         "print(f'Q = {q:.4f}')"),
    md("An inconsistent matrix (CR ≥ 0.10) is refused unless a reason to keep it is recorded:"),
    code("from valuation.core.errors import RefusedError\n"
         "bad = np.array([[1, 9, 1/9], [1/9, 1, 9], [9, 1/9, 1]])\n"
         "try:\n    ahp(bad)\nexcept RefusedError as e:\n    print(e.message_zh)\n    print(e.message_en)"),
    md("Entropy weights (objective, F4) and the combination with AHP weights (α = 0.5):"),
    code("F4 = [[0.95, 0.90, 0.88], [0.80, 0.97, 0.91], [0.99, 0.85, 0.70], [0.90, 0.92, 0.95]]\n"
         "ent = entropy_weights(F4)\n"
         "print('entropy', ent.entropy.round(4), 'weights', ent.weights.round(4))\n"
         "print('combined', combine_weights([0.5, 0.3, 0.2], ent.weights, alpha=0.5).round(4))"),
    md("## 3. 成本法 / Cost approach P = C × δ (F1)"),
    code("F1_LINES = [('preliminary', '前期规划', 20), ('direct', '采集', 60), ('direct', '存储', 25),\n"
         "            ('direct', '清洗加工', 45), ('direct', '标注', 30), ('direct', '质量控制', 10),\n"
         "            ('direct', '安全', 12), ('direct', '运维', 18), ('indirect', '平台分摊', 30)]\n"
         "def f1(rounding='exact'):\n"
         "    return {'asset': {'asset_id': 'F1', 'name': 'F1 数据集',\n"
         "                      'quality': {'normativeness': 92, 'completeness': 88, 'accuracy': 85,\n"
         "                                  'consistency': 90, 'timeliness': 80, 'accessibility': 95,\n"
         "                                  'ahp_matrix': F3.tolist()}},\n"
         "            'engagement': {'valuation_date': '2025-12-31', 'rounding': rounding},\n"
         "            'cost': {'lines': [{'category': c, 'subcategory': s, 'amount': a} for c, s, a in F1_LINES],\n"
         "                     'opportunity_rate': 0.05,\n"
         "                     'adjustment': {'basis': 'combined', 'years_used': 2, 'years_remaining': 3}}}\n"
         "res = cost.appraise(Portfolio.from_card(f1()), trace=True)\n"
         "res.frame[['estimate', 'low', 'high', 'replacement_cost', 'quality_score', 'delta_quality',\n"
         "           'delta_life', 'delta']].round(4)"),
    code("row = res.frame.iloc[0]\n"
         "print(f\"P (exact) = {row['estimate']:.2f} 万元\")\n"
         "pub = cost.appraise(Portfolio.from_card(f1('publication'))).frame.iloc[0]\n"
         "print(f\"P (publication rounding, Q = {pub['quality_score']}) = {pub['estimate']:.2f} 万元\")"),
    md("The calculation trace (formula, inputs, value and cited clauses for each step — art. 27):"),
    code("pd.DataFrame(res.traces['F1'])[['step', 'label_zh', 'formula', 'value', 'clauses']]"),
    code("for w in res.warnings.get('F1', []):\n    print(w['code'], '|', w['message_en'])\n"
         "print('low/high: a simple band from δ only (δ ± z·10 %, capped at δ = 1); the guided range is the pricing layer’s.')"),
]

for i, c in enumerate(cells):      # stable ids: rebuilding gives the same file
    c["id"] = f"nb01-{i:02d}"
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
out = HERE / "01_cost_and_quality.ipynb"
nbf.write(nb, out)
print(out)
