"""Build notebooks/02_income.ipynb (run: .venv/bin/python notebooks/build_02.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 02 收益法 / Income approach\n\n"
       "中评协〔2023〕17号 第二十一条及附件收益法模型：直接收益、分成收益、超额收益、增量收益，以及许可费节省法。"
       "一个向量化折现核（资产 × 期数）完成全部计算；单项评估就是只有一项资产的组合。\n\n"
       "Art. 21 of the CAS 2023 guidance and the annex models: direct, split, excess earnings, incremental, "
       "plus relief from royalty. One vectorised kernel (assets × periods) does all the discounting; a single "
       "appraisal is a portfolio of one."),
    code("import copy\nimport numpy as np\nimport pandas as pd\n"
         "from valuation.core.errors import RefusedError\n"
         "from valuation.core.portfolio import Portfolio\n"
         "from valuation.methods import income\n"
         "from valuation.methods.income import appraise_one, wara\n"
         "from valuation.methods.income.kernel import discount\n"
         "from valuation.methods.income.forecast import forecast_history\n"
         "pd.set_option('display.width', 160)\n"
         "BASE = {'asset': {'asset_id': 'X', 'name': 'demo'}, 'engagement': {'valuation_date': '2025-12-31'}}\n"
         "def card(inc, aid='X', **asset):\n"
         "    c = copy.deepcopy(BASE); c['income'] = copy.deepcopy(inc); c['asset']['asset_id'] = aid\n"
         "    c['asset'].update(asset); return c\n"
         "def show(res):\n"
         "    cols = ['estimate', 'low', 'high', 'model', 'timing', 'discount_rate', 'life', 'life_bound', "
         "'pv_explicit', 'pv_terminal', 'applicable', 'reason_en']\n"
         "    return res.frame[cols]"),
    md("## 1. 超额收益法（F5）/ Excess earnings with contributory charges, attrition, mid-year\n\n"
       "CAC = 4 % × 营运资金（收入 20 %）+ 6 % × 固定资产 500 + 10 % × 人力 400 + 3 % × 收入 × (1 − 25 %)；"
       "流失率 10 %（自第 2 年）；i = 16 %。Expected: mid-year **638.6758**, end-year **592.9956**."),
    code("F5 = {'model': 'excess', 'periods': 5, 'timing': 'mid', 'discount_rate': 0.16,\n"
         "      'nopat': [300, 320, 330, 330, 320], 'revenue': [1000, 1080, 1120, 1120, 1090],\n"
         "      'contributory': [{'asset_class': 'working_capital', 'rate': 0.04, 'revenue_share': 0.20},\n"
         "                       {'asset_class': 'fixed_assets', 'rate': 0.06, 'value': 500},\n"
         "                       {'asset_class': 'workforce', 'rate': 0.10, 'value': 400},\n"
         "                       {'asset_class': 'other_intangibles', 'rate': 0.03, 'revenue_share': 1.0, 'tax_rate': 0.25}],\n"
         "      'attrition': {'rate': 0.10, 'start_period': 2}}\n"
         "pf = Portfolio.from_cards([card(F5, 'F5-mid'), card(dict(F5, timing='end'), 'F5-end')])\n"
         "r5 = income.appraise(pf, trace=True)\n"
         "assert abs(r5.frame.loc['F5-mid', 'estimate'] - 638.6758) < 1e-4\n"
         "assert abs(r5.frame.loc['F5-end', 'estimate'] - 592.9956) < 1e-4\n"
         "show(r5).round(4)"),
    code("pd.DataFrame([{'step': s['step'], 'formula': s['formula'], 'value': s['value'], 'clauses': ', '.join(s['clauses'])}\n"
         "              for s in r5.traces['F5-mid']])"),
    md("## 2. 增量收益法（F6）/ Incremental income\n\nIncrements 50, 60, 65, 65, 60; i = 14 % → 203.55 / 217.33."),
    code("F6 = {'model': 'incremental', 'periods': 5, 'incremental_kind': 'cost_saving',\n"
         "      'savings': [50, 60, 65, 65, 60], 'discount_rate': 0.14}\n"
         "r6 = income.appraise(Portfolio.from_cards([card(F6, 'F6-end'), card(dict(F6, timing='mid'), 'F6-mid')]))\n"
         "print(r6.frame['estimate'].round(2).to_dict())"),
    md("## 3. 许可费节省法：增长阶段 + 永续期；出版口径 / Relief from royalty with growth stages and a tail; "
       "publication rounding\n\n出版口径：百分比保留 2 位小数，折现系数保留 4 位小数（教材系数表）。"),
    code("ROY = {'model': 'royalty', 'periods': 5,\n"
         "       'revenue': {'base': 1_000_000, 'growth': [0.20, 0.15, 0.10], 'terminal_growth': 0.03},\n"
         "       'royalty_rate': 0.03, 'tax_rate': 0.25, 'discount_rate': 0.12,\n"
         "       'income_basis': 'post_tax', 'rate_basis': 'post_tax'}\n"
         "c_exact, c_pub = card(ROY, 'exact'), card(ROY, 'publication')\n"
         "c_pub['engagement']['rounding'] = 'publication'\n"
         "rr = income.appraise(Portfolio.from_cards([c_exact, c_pub]), trace=True)\n"
         "print(rr.frame[['estimate', 'pv_explicit', 'pv_terminal']].round(2))\n"
         "step = next(s for s in rr.traces['publication'] if s['step'] == 'discount')\n"
         "print('4-dp factors:', step['inputs']['factors'])"),
    code("# the kernel alone, on arrays: the textbook 15 % table\n"
         "res = discount(np.array([[100.0] * 5]), np.array([0.15]), publication=np.array([True]))\n"
         "print(res.factors[0], round(res.value[0], 4))"),
    md("## 4. 折现率：累加法、WACC 与 WARA 复核 / Discount rate: build-up, WACC, WARA check"),
    code("BU = {'model': 'direct', 'periods': 3, 'income': [100, 110, 120],\n"
         "      'discount': {'method': 'build_up', 'management': 0.03, 'circulation': 0.03, 'security': 0.025,\n"
         "                   'regulation': 0.02}}\n"
         "rb = income.appraise(Portfolio.from_card(card(BU)), trace=True)\n"
         "st = next(s for s in rb.traces['X'] if s['step'] == 'discount_rate')\n"
         "print('i =', st['value']); pd.DataFrame(st['inputs']).T"),
    code("chk = wara([0.15, 0.35, 0.30, 0.20], [0.035, 0.06, 0.13, 0.16], wacc=0.095)\n"
         "print(chk['message_zh']); print(chk['message_en'])"),
    md("## 5. 收益期限：权利期限与流失率 / Economic life: rights term and attrition\n\n"
       "n = min(预测期, 剩余权利期限, 合同, 法定, 时效性, 产品寿命, 流失截断)；超过权利期限即截断并警示。"),
    code("LIFE = {'model': 'direct', 'periods': 8, 'income': [100.0] * 8, 'discount_rate': 0.1}\n"
         "cards = [card(LIFE, 'no-bound'),\n"
         "         card(LIFE, 'rights-2028', rights={'type': 'holding', 'term_end': '2028-12-31'}),\n"
         "         card(dict(LIFE, attrition={'rate': 0.5}), 'attrition-50pct'),\n"
         "         card(dict(LIFE, life={'timeliness_years': 4}), 'timeliness-4y')]\n"
         "rl = income.appraise(Portfolio.from_cards(cards))\n"
         "print(rl.warnings['rights-2028'][0]['message_zh'])\n"
         "rl.frame[['estimate', 'life', 'life_bound']].round(4)"),
    md("## 6. 由历史收入预测 / Forecast from history (ETS / ARIMA by AIC, 80 % interval)"),
    code("rng = np.random.default_rng(11)\n"
         "hist = (500 + 40 * np.arange(12) + rng.normal(0, 8, 12)).round(1).tolist()\n"
         "fc = forecast_history(hist, 4)\n"
         "print(fc.model, {k: round(v, 2) for k, v in fc.candidates.items()})\n"
         "pd.DataFrame({'lower': fc.lower, 'mean': fc.mean, 'upper': fc.upper}, index=range(1, 5)).round(1)"),
    code("H = {'model': 'royalty', 'periods': 4, 'royalty_rate': 0.05, 'tax_rate': 0.25, 'discount_rate': 0.12,\n"
         "     'history': {'values': hist}}\n"
         "rh = income.appraise(Portfolio.from_card(card(H)))\n"
         "rh.frame[['estimate', 'low', 'high', 'forecast_model']].round(2)"),
    md("## 7. 多应用场景 / Several application scenarios\n\nP = Σ_k j_k Σ_t F_kt / (1 + r_k)^t"),
    code("SC = {'model': 'direct', 'discount_rate': 0.12, 'scenarios': [\n"
         "      {'name': '征信', 'share': 0.6, 'income': [100, 110, 120]},\n"
         "      {'name': '营销', 'share': 0.3, 'discount_rate': 0.18, 'income': [80, 80, 80, 80]}]}\n"
         "rs = income.appraise(Portfolio.from_card(card(SC)), trace=True)\n"
         "pd.DataFrame(rs.traces['X'][0]['inputs']['scenarios']).round(4)"),
    md("## 8. 拒绝计算 / Refusals\n\n批量时为“不适用”行并给出中英文理由；单项 API 抛出 `RefusedError`。"),
    code("bad = {'model': 'royalty', 'periods': 3, 'revenue': [100, 100, 100], 'royalty_rate': 0.05,\n"
         "       'tax_rate': 0.25, 'discount_rate': 0.12}\n"
         "for inc in (dict(bad, terminal_growth=0.12), dict(bad, rate_basis='pre_tax')):\n"
         "    try:\n"
         "        appraise_one(card(inc))\n"
         "    except RefusedError as e:\n"
         "        print(e.field, '|', e.message_zh, '|', e.message_en)"),
    md("## 9. 批量：一次核计算全部资产 / Batch: one kernel call for all assets"),
    code("import time\n"
         "rng = np.random.default_rng(0)\n"
         "many = [card({'model': 'royalty', 'periods': 5, 'revenue': {'base': float(rng.uniform(1e5, 1e6)),\n"
         "              'growth': [0.1, 0.05]}, 'royalty_rate': 0.05, 'tax_rate': 0.25,\n"
         "              'discount_rate': float(rng.uniform(0.08, 0.2))}, f'A{k}') for k in range(1000)]\n"
         "pfm = Portfolio.from_cards(many)\n"
         "t0 = time.perf_counter(); rm = income.appraise(pfm); dt = time.perf_counter() - t0\n"
         "print(f'{len(pfm)} assets in {dt:.3f} s; all applicable: {bool(rm.frame.applicable.all())}')\n"
         "rm.frame['estimate'].describe().round(0)"),
]

for i, c in enumerate(cells):      # stable ids: rebuilding gives the same file
    c["id"] = f"nb02-{i:02d}"
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
out = HERE / "02_income.ipynb"
nbf.write(nb, out)
print(out)
