"""Build notebooks/04_ranges_and_public_pricing.ipynb (run: .venv/bin/python notebooks/build_04.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 04 指导价区间、公共数据定价与敏感性分析 / Guided ranges, public-data pricing and sensitivity\n\n"
       "本笔记演示定价层（`valuation.pricing`）：\n"
       "1. 发改价格〔2025〕65号：最高准许收入、上限收费标准、无偿使用、超额收入结转；\n"
       "2. 多种方法的结论形成（中评协〔2023〕17号 第二十四条）：权重、差异说明、最大驱动因素；\n"
       "3. 蒙特卡洛指导价区间（参数不确定性 + 可比案例离散度 + 方法间差异）与基准价±浮动幅度；\n"
       "4. 单因素（龙卷风图）、双因素网格和 Sobol 全局敏感性。\n\n"
       "The approaches used are the ones installed in `valuation.methods` (`default_methods()`); an approach "
       "not yet installed is simply reported as not applicable."),
    code("import json\nfrom pathlib import Path\nimport numpy as np\nimport pandas as pd\n"
         "from valuation import api\n"
         "ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'examples' / 'cards').is_dir())  # the repository, from notebooks/ or the root\n"
         "from valuation.core.portfolio import Portfolio\n"
         "from valuation.pricing import public_data, reconcile, sensitivity, uncertainty\n"
         "pd.set_option('display.width', 160)\n"
         "methods = reconcile.default_methods(api.snapshot('seed'))\n"
         "print('installed approaches:', sorted(methods))"),
    md("## 1. 公共数据定价（65号）/ Public-data pricing (NDRC 2025 No. 65)\n\n"
       "MAR = 准许成本（扣除补助）+ 准许利润 + 税金；准许利润 = 基数 × min(收益率, 10 年期国债 + 6 pp)。"
       " Fixture F7: 800 + 2000 × 7.7 % + 30 = 984."),
    code("f7 = {'product': {'product_id': 'F7', 'name': 'F7', 'period': {'allowed_cost': 800, 'profit_base': 2000,\n"
         "      'cgb10y': 0.017, 'taxes': 30}, 'items': [{'item_id': 'api', 'use_category': 'industry',\n"
         "      'unit': 'per_call', 'expected_volume': 100}]}}\n"
         "r7 = public_data.price(f7)\n"
         "assert abs(r7['mar'] - 984) < 1e-9 and abs(r7['allowed_profit'] - 154) < 1e-9\n"
         "print('MAR', r7['mar'], 'rate', round(r7['rate_used'], 6), 'cap per call', r7['items'][0]['cap'])"),
    code("product = json.load(open(ROOT / 'examples' / 'product_public_data.json', encoding='utf-8'))\n"
         "res = api.price(product, library='seed')\n"
         "pd.DataFrame(res['items'])[['item_id', 'use_category', 'unit', 'expected_volume', 'cap', 'price', 'ok', 'free']]"),
    code("for f in res['flags']:\n    print(f['code'], '|', f['message_zh'], '|', f['message_en'])\n"
         "# a cap above what MAR allows is flagged with the numbers\n"
         "bad = json.loads(json.dumps(product)); bad['product']['items'][0]['cap'] = 0.30\n"
         "print([ (f['code'], round(f['value']), round(f['limit'])) for f in public_data.price(bad)['flags'] if f['code'] == 'CAP_BREACH'])"),
    md("## 2. 结论形成（第二十四条）/ Reconciliation (art. 24)"),
    code("cards = [json.load(open(ROOT / 'examples' / 'cards' / f'{n}.json', encoding='utf-8')) for n in\n"
         "         ('E01_soe_transport_licensing', 'E03_enterprise_ecommerce', 'E02_admin_registry_governance')]\n"
         "pf = Portfolio.from_cards(cards)\n"
         "results = {m: fn(pf) for m, fn in methods.items()}\n"
         "columns, expl = reconcile.reconcile_columns(pf, results, api.snapshot('seed'), explain=True, methods=methods)\n"
         "frame = pd.DataFrame(columns, index=pf.index)\n"
         "cols = ['estimate', 'low', 'high'] + [f'{m}_{k}' for m in methods for k in ('estimate', 'weight')]\n"
         "print('coverage', frame['coverage'].tolist(), 'range method', frame['range_method'].tolist())\n"
         "frame[cols].round(2)"),
    code("e = expl[pf.index[0]]\nprint(e['reason_zh'])\nprint()\nprint(e['reason_en'])\n"
         "pd.DataFrame(e['drivers'])[['method', 'label_en', 'value_at_low', 'value_at_high', 'swing_pct']].head(6)"),
    md("## 3. 蒙特卡洛指导价区间与浮动幅度 / Monte Carlo guided range and floating band\n\n"
       "Each of the D draws of an asset is a row of perturbed inputs: the uncertain inputs (折现率、收益预测、"
       "许可费率、δ …) are drawn from the distributions of `models/reconcile.yaml`, each approach values all "
       "rows at once (its inputs read once, its kernel on the drawn values), and the mixture over approaches "
       "by weight gives the central 80 % band. A blend of weights shows how disagreement between approaches "
       "widens the range."),
    code("W = {'cost': 0.5, 'income': 0.5}\n"
         "gr_single = uncertainty.guided_range(pf, methods, {'income': 1.0}, draws=400)\n"
         "gr_mix = uncertainty.guided_range(pf, methods, W, draws=400)\n"
         "pd.DataFrame({'income only: low': gr_single['low'], 'high': gr_single['high'],\n"
         "              '50/50 mix: low': gr_mix['low'], 'high ': gr_mix['high']}).round(0)"),
    code("b = uncertainty.band(frame['estimate'].to_numpy())\n"
         "pd.DataFrame({'base': frame['estimate'], 'band_low (−10 %)': b['low'], 'band_high (+10 %)': b['high']}).round(0)"),
    md("## 4. 敏感性 / Sensitivity"),
    code("inc = sensitivity.method_value(methods['income'])\n"
         "one = pf.subset([pf.index[0]])\n"
         "t = sensitivity.tornado(inc, one, [p.name for p in uncertainty.default_params(method='income')])\n"
         "t[t['present']][['label_zh', 'label_en', 'low_input', 'high_input', 'value_at_low', 'value_at_high', 'swing_pct']].round(4)"),
    md("Two-way grid: discount rate × terminal growth (setting g adds a Gordon terminal value after the "
       "last period; the income approach refuses g ≥ i)."),
    code("g = sensitivity.grid(inc, one, 'income_discount_rate', [0.10, 0.12, 0.14, 0.16],\n"
         "                      'income_terminal_growth', [0.0, 0.01, 0.02])\n"
         "g.pivot(index='income_discount_rate', columns='income_terminal_growth', values='value').round(0)"),
    code("s = sensitivity.sobol(inc, one, ['income_discount_rate', 'income_forecast', 'income_royalty_rate'], n=256)\n"
         "print('Σ S1 =', round(s['S1'].sum(), 3))\n"
         "s.round(3)"),
]

for i, c in enumerate(cells):      # stable ids: rebuilding gives the same file
    c["id"] = f"nb04-{i:02d}"
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
out = HERE / "04_ranges_and_public_pricing.ipynb"
nbf.write(nb, out)
print(out)
