"""Builds notebooks/05_risk_flags.ipynb (run: .venv/bin/python notebooks/build_05.py); the notebook runs from\nnotebooks/ (Jupyter's default) or from the repository root."""
from pathlib import Path

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell("# 05 风险标记 / Risk flags\n\n规则库中的规则是数据：条件表达式经白名单编译器编译为向量化的 numpy 运算，"
                             "每个标记给出触发数值与所依据的条款。Rules are data: conditions compile through the whitelisted "
                             "compiler into vectorised numpy; every flag carries the values that triggered it and its clause."),
    nbf.v4.new_code_cell("import pandas as pd\nfrom valuation import api\nfrom valuation.rules import compile_rules, load_seed_rules\n"
                         "rules = load_seed_rules()\nprint(len(rules), 'seed rules')\n"
                         "pd.DataFrame([{k: r[k] for k in ('id', 'severity', 'condition')} | {'references': ', '.join(r['references'])} for r in rules])"),
    nbf.v4.new_markdown_cell("## F8：高溢价与低于 90%\n国有企业（国资委令第12号约束国有企业）：账面价值 100，评估值 260（增值率 160%），拟交易价 230 < 0.9 × 260 = 234。"),
    nbf.v4.new_code_cell("from valuation.rules.facts import empty_facts\nimport numpy as np\n"
                         "facts = empty_facts(1)  # {fact: array}, every fact missing; set the F8 facts\n"
                         "facts |= {'holder_type': np.array(['soe'], dtype=object), 'estimate': np.array([260.0]), 'book_value': np.array([100.0]),\n"
                         "          'premium_ratio': np.array([1.6]), 'proposed_price': np.array([230.0])}\n"
                         "rs = compile_rules(rules)\nhits = rs.evaluate(facts)\nprint(sorted(hits.code))\n"
                         "from valuation.rules import flags_for\nfor f in flags_for(facts, ['F8'], hits, rs)['F8']:\n    print(f['severity'], f['code'], f['message_zh'], f['references'])"),
    nbf.v4.new_markdown_cell("## 整张卡片的标记 / Flags of a whole card\n行政单位的数据资产用于质押（财资〔2024〕1号 禁止）。"),
    nbf.v4.new_code_cell("import json\nfrom pathlib import Path\n"
                         "ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'examples' / 'cards').is_dir())  # the repository, from notebooks/ or the root\n"
                         "card = json.load(open(ROOT / 'examples' / 'cards' / 'E02_admin_registry_governance.json', encoding='utf-8'))\n"
                         "card['asset']['pledged'] = True\nr = api.appraise(card, library='seed')\n"
                         "print('final:', r.final)\nfor f in r.flags:\n    print(f['code'], f['severity'], f['message_en'])"),
    nbf.v4.new_markdown_cell("## 结果摘要 / Result summary\n每个标记所依据的文件按标题与条款引用（《数据资产评估指导意见》第二十四条）；"
                             "Jupyter 中 `r` 本身显示为 HTML 表格。Each flag cites its documents by title and article; "
                             "`r` on its own renders as an HTML table in Jupyter."),
    nbf.v4.new_code_cell("print(r.summary('en'))\nprint(repr(r))"),
    nbf.v4.new_markdown_cell("## 编译器拒绝不安全表达式 / The compiler refuses unsafe expressions"),
    nbf.v4.new_code_cell("from valuation.core.errors import RuleCompileError\n"
                         "for expr in [\"__import__('os')\", 'estimate.__class__', 'premium_ratio > 1 and holder_type in (\"soe\",)']:\n"
                         "    try:\n        print('accepted:', expr, '→', api.test_rule(expr))\n"
                         "    except RuleCompileError as e:\n        print('refused:', e.message('en'))"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
for i, c in enumerate(nb.cells):
    c["id"] = f"cell-{i:02d}"
nbf.write(nb, Path(__file__).resolve().parent / "05_risk_flags.ipynb")
