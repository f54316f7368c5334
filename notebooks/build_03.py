"""Build notebooks/03_market.ipynb (run: .venv/bin/python notebooks/build_03.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 03 市场法：案例库、调整网格、特征价格模型与回测 / Market approach: case library, adjustment grid, "
       "hedonic model, back-test\n\n"
       "中评协〔2023〕17号 第二十三条及附件：P_i = Q_i × X1 × X2 × X3 × X4 × X5，P = Σ w_i P_i。\n\n"
       "1. 案例库（合成种子，见 `case_library/DATA_CARD.md`）与计价单位规则；\n"
       "2. 固定算例 F2：三个可比案例的调整网格；\n"
       "3. 从案例库选取可比案例（硬性筛选 + 最近邻）与特征价格模型区间；\n"
       "4. 回测（覆盖率、中位绝对对数误差、COD/PRD）；\n"
       "5. DaDaDa 格式导入报告（每一行：导入或跳过及原因）。"),
    code("import json, tempfile\nfrom pathlib import Path\nimport numpy as np\nimport pandas as pd\n"
         "from valuation.core.portfolio import Portfolio\n"
         "from valuation.library.cases import cases_frame, import_dadada\n"
         "from valuation.methods import market\n"
         "from valuation.backtest import backtest_frames\n"
         "pd.set_option('display.width', 160)\n"
         "ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'examples' / 'cards').is_dir())  # the repository, from notebooks/ or the root\n"
         "cases = cases_frame(pd.read_csv(ROOT / 'case_library' / 'cases.csv'))\n"
         "print(len(cases), 'synthetic cases')\n"
         "cases.groupby(['price_mode', 'price_unit'], dropna=False)['price'].agg(['size', 'median']).round(2)"),
    md("## 2. F2：调整网格 / adjustment grid (docs/DOMAIN.md §8.2)\n\n"
       "Subject: quality 86, date index 104, 5.0 m records, non-exclusive. The card gives X2 for each case "
       "and X5 = 0.90 for case A (exclusive → non-exclusive)."),
    code("comps = [\n"
         "  {'case_id': 'A', 'price': 120, 'quality': 80, 'date_index': 100, 'records': 4e6, 'exclusivity': 'exclusive', 'x2': 1.00, 'x5': 0.90},\n"
         "  {'case_id': 'B', 'price': 150, 'quality': 90, 'date_index': 102, 'records': 6e6, 'x2': 0.95},\n"
         "  {'case_id': 'C', 'price': 100, 'quality': 85, 'date_index': 103, 'records': 4.5e6, 'x2': 1.05}]\n"
         "f2 = {'asset': {'asset_id': 'F2', 'name': 'F2', 'records': 5000000, 'quality': {'score': 86},\n"
         "                'rights': {'type': 'product_operation', 'exclusivity': 'non_exclusive'}},\n"
         "      'engagement': {'valuation_date': '2025-12-31'}, 'market': {'date_index': 104, 'comparables': comps}}\n"
         "res = market.appraise(Portfolio.from_card(f2), trace=True)\n"
         "grid = pd.DataFrame([dict(case=s['step'][11:], **s['inputs'], P_i=s['value']) for s in res.traces['F2']\n"
         "                     if s['step'].startswith('comparable_')])\n"
         "print(grid.round(4).to_string(index=False))\n"
         "r = res.frame.loc['F2']\n"
         "print(f\"P = {r['estimate']:.2f}  spread = {r['spread']:.4f}  range [{r['low']:.2f}, {r['high']:.2f}] ({r['range_basis']})\")\n"
         "for w in res.warnings['F2']:\n    print(w['code'], '|', w['message_zh'], '|', w['message_en'])"),
    md("## 3. 从案例库选取 / selection from the case library\n\n"
       "Hard filters (same rights type, price mode, price unit — never mixed), then k nearest neighbours on "
       "standardised features; the hedonic model (OLS of ln P, HC3) gives the 80 % prediction interval."),
    code("card = json.load(open(ROOT / 'examples' / 'cards' / 'E04_public_data_authorised_operation.json', encoding='utf-8'))\n"
         "card['market']['demonstration'] = True  # the seed cases are synthetic: a demonstration only, never final\n"
         "res = market.appraise(Portfolio.from_card(card), cases=cases, trace=True)\n"
         "aid = res.frame.index[0]\n"
         "print(res.frame.loc[aid, ['estimate', 'low', 'high', 'grid_estimate', 'n_comparables', 'range_basis']])\n"
         "sel = next(s for s in res.traces[aid] if s['step'] == 'comparables')['inputs']['cases']\n"
         "cases.set_index('case_id').loc[sel, ['title', 'category', 'rights_type', 'price_mode', 'price', 'records', 'quality', 'date']]"),
    code("fit = market.fit_library(cases, {'allow_synthetic': True})\n"
         "print(pd.DataFrame(fit.hedonic.summary()).set_index('price_mode').round(3))\n"
         "pd.DataFrame(fit.hedonic.fits_['one_off'].table()).set_index('feature').round(3).head(12)"),
    md("## 4. 回测 / back-test\n\n"
       "Here on a 70/30 split of the synthetic library (its noise is large by design). The back-test on the "
       "real DaDaDa listings is `benchmarks/backtest_dadada.py` (figures in the data card)."),
    code("m = np.random.default_rng(1).random(len(cases)) < 0.7\n"
         "bt = backtest_frames(cases[m], cases[~m])\n"
         "print(bt.summary('en'))"),
    md("## 5. DaDaDa 格式导入 / importing DaDaDa-format listings\n\n"
       "A tiny file written here in the DaDaDa layout: every row is imported or skipped with its reason."),
    code("cols = ['title', 'update_frequency', 'coverage', 'dimension', 'url', 'category', 'category_aws', 'platform',\n"
         "        'currency', 'price_mode', 'price', 'volume', 'size']\n"
         "rows = [['企业查询', 'no-update', 'CN', 3, 'u1', '金融', 'Financial Services Data', 'Guiyang Global Big Data Exchange', 'RMB', 'usage-based', 0.5, 0, 0],\n"
         "        ['遥感影像', 'no-update', 'CN', 0, 'u2', '资源', 'Resources Data', 'Guiyang Global Big Data Exchange', 'RMB', 'usage-based', 95000, 0, 0],\n"
         "        ['面议数据', 'daily', 'CN', 0, 'u3', '金融', 'Financial Services Data', 'Canton Data Exchange', 'RMB', 'negotiation', 0, 0, 0],\n"
         "        ['开放数据', 'daily', 'CN', 0, 'u4', '政务', 'Public Sector Data', 'Beijing International Data Exchange', 'RMB', 'free', 0, 0, 0]]\n"
         "with tempfile.TemporaryDirectory() as tmp:\n"
         "    f = Path(tmp) / 'guiyang.csv'\n"
         "    pd.DataFrame(rows, columns=cols).to_csv(f, index=False)\n"
         "    rep = import_dadada(f)\n"
         "print(rep.summary('en'))\n"
         "rep.imported[['title', 'price_mode', 'price_unit', 'price', 'evidence_type']]"),
]

nb = nbf.v4.new_notebook()
nb["cells"] = cells
nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
for i, c in enumerate(nb["cells"]):
    c["id"] = f"c{i:02d}"
nbf.write(nb, HERE / "03_market.ipynb")
print(HERE / "03_market.ipynb")
