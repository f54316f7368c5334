"""Build notebooks/07_revenue_sharing.ipynb (run: .venv/bin/python notebooks/build_07.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 07 收益分配 / Revenue sharing of a public-data authorised operation\n\n"
       "“谁投入、谁贡献、谁受益”：大连（大财资〔2025〕325号）第 16 项要求按生产、采集、加工、流通各环节的投入成本"
       "分配数据资产运营收益，第 17 项要求行政事业单位分享的收益上缴国库；财政部财资〔2024〕167号（四）允许以协议"
       "约定合理比例；杭州（七）要求厘清各主体的实际贡献和投入占比；财资〔2024〕1号（七）规定行政单位收入按非税收入管理。\n\n"
       "本笔记以一个公共数据授权运营安排为例（合成数据，仅作演示，不是任何真实安排的证据）：\n"
       "1. 参与方与投入成本（按基准日指数调整）；2. 联盟价值 v(S)；3. 各种分配方法与核检验；"
       "4. 混合法与保底；5. 公共数据规则（非税收入、国有份额）；6. 记入分配台账、历史、差异与导出。\n\n"
       "Synthetic figures for a demonstration; the cooperative-game methods measure contribution "
       "(literature), the clauses state the principle."),
    code("import json\nimport tempfile\nfrom pathlib import Path\n\nimport pandas as pd\n\n"
         "from valuation import api\n"
         "pd.set_option('display.width', 160)\npd.set_option('display.max_columns', 20)\n"
         "tmp = Path(tempfile.mkdtemp(prefix='nb07.'))\n"
         "db = f'sqlite:///{tmp / \"ledger.db\"}'   # the ledger: a throw-away SQLite file\n"
         "ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'examples' / 'sharing').is_dir())  # the repository, from notebooks/ or the root\n"
         "spec = json.loads((ROOT / 'examples' / 'sharing' / 'public_data_operation.json').read_text(encoding='utf-8'))\n"
         "pd.DataFrame(spec['participants'])[['id', 'name', 'role', 'holder_type', 'input_cost', 'cost_date']]"),
    md("## 1. 投入成本 / Input costs\n\n"
       "成本按基准日 2025-12-31 以年 2% 指数调整：c × 1.02^(天数/365.25)。运营主体的投入分为加工与流通两个环节；"
       "环节权重取自模型库 `sharing.default`（默认均为 1）。按投入成本分配："),
    code("cost = api.share({**spec, 'method': 'cost_share'}, library='seed')\n"
         "pd.DataFrame(cost['shares'])[['id', 'input_cost', 'amount', 'fraction']]"),
    md("## 2. 联盟价值 v(S) / Coalition values\n\n"
       "v(S) 是参与方子集单独能创造的价值：没有授权运营主体（DL-OPER）就没有产品；数据局的数据价值 600 万、大数据中心 300 万，"
       "两者兼有再多 100 万；交易服务商使收入增加 20%。也可由引擎计算（`api.coalition_values_from_income`：只含 S 的贡献时"
       "产品的收益法估值）。"),
    code("pd.DataFrame([{'S': '+'.join(c['members']), 'v(S)': c['value']} for c in spec['coalition_values']])"),
    md("## 3. 博弈方法与核检验 / Game methods and the core\n\n"
       "Shapley（所有加入顺序下边际贡献的平均）、Banzhaf（归一化）、最小核（线性规划，e* 为最小核超额，e* > 0 时核为空）、"
       "核仁（序贯线性规划）。核检验：是否有联盟单独行动能得到更多。"),
    code("rows = []\n"
         "for m in ('cost_share', 'shapley', 'banzhaf', 'least_core', 'nucleolus'):\n"
         "    r = api.share({**spec, 'method': m}, library='seed')\n"
         "    rows.append({'method': m, **{s['id']: s['amount'] for s in r['shares']},\n"
         "                 'in_core': r['core']['in_core'], 'e*': r['core']['least_core_excess'],\n"
         "                 'flags': ','.join(f['code'] for f in r['flags'])})\n"
         "table = pd.DataFrame(rows).set_index('method')\n"
         "assert (table[['DL-BUREAU', 'DL-CENTER', 'DL-OPER', 'DL-EXCH']].sum(axis=1).round(2) == 12_000_000).all()\n"
         "table"),
    md("## 4. 混合法与保底 / Hybrid with a floor\n\n"
       "先回收各方投入成本，盈余（可分配收益 − Σ成本）按核仁分配；运营主体保底 300 万（`floor`）。"
       "金额按最大余数法舍入到分，合计等于可分配收益。"),
    code("hyb = api.share({**spec, 'method': 'hybrid', 'surplus_method': 'nucleolus'}, library='seed')\n"
         "print('\\n'.join(f\"{s['id']}: {s['amount']:,.2f} ({s['fraction']:.2%})\" for s in hyb['shares']))\n"
         "print('sum =', f\"{sum(s['amount'] for s in hyb['shares']):,.2f}\")"),
    md("## 5. 公共数据规则 / Public-data rules\n\n"
       "行政单位（市数据局）分得部分为政府非税收入，上缴同级国库（财资〔2024〕1号（七）、大连 17 项、湖南 6 项）；"
       "事业单位（大数据中心）按本级财政部门办法管理；国有主体合计份额按国有资产管理（大连 9 项）。"),
    code("r = api.share(spec, library='seed')\n"
         "print(json.dumps({k: r['public_data'][k] for k in ('state_share', 'state_amount', 'non_tax_revenue')}, indent=1))\n"
         "for f in r['flags']:\n"
         "    print(f\"[{f['severity']}] {f['code']}: {f['message_zh']} {f['references']}\")"),
    md("## 6. 分配台账 / The distribution ledger\n\n"
       "每次分配记为一条不可修改的记录（输入、方法、分配结果、库快照、经办人、内容哈希），记账前核对合计等于可分配收益；"
       "更正即追加新版本。可查看历史、比较两版差异并导出（防公式注入的 CSV / xlsx）。"),
    code("a = api.share(spec, library='seed', record=True, ran_by='财务处 张三', db=db)\n"
         "b = api.share({**spec, 'method': 'nucleolus'}, library='seed', record=True, ran_by='财务处 李四', db=db)\n"
         "api.share_history('DL-AO-2025-001', db=db)[['record_id', 'period', 'seq', 'ran_by', 'method', 'distributable', 'n_flags']]"),
    code("api.share_diff(a['ledger']['record_id'], b['ledger']['record_id'], db=db)"),
    code("out = api.share_export([a['ledger']['record_id'], b['ledger']['record_id']], tmp / 'ledger.xlsx', db=db)\n"
         "print('exported', out.name, len(pd.read_excel(out)), 'rows')"),
    md("## 7. 命令行与服务 / Command line and HTTP\n\n"
       "```\nvaluation share examples/sharing/public_data_operation.json --lang en\n"
       "valuation share SPEC.json --record --ran-by 张三 --docx sharing.docx\n"
       "valuation shares history DL-AO-2025-001\nvaluation shares diff REC_A REC_B\n"
       "valuation shares export REC_A --out ledger.xlsx\nvaluation schema --doc share\n"
       "curl -H \"X-API-Key: $KEY\" --data @SPEC.json http://127.0.0.1:8000/v1/shares?record=true\n```"),
]

nb = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"}})
for i, c in enumerate(nb.cells):  # stable ids: rebuilding gives the same file
    c["id"] = f"nb07-{i:02d}"
nbf.write(nb, HERE / "07_revenue_sharing.ipynb")
print(HERE / "07_revenue_sharing.ipynb")
