"""Build notebooks/06_batch_revaluation.ipynb (run: .venv/bin/python notebooks/build_06.py)."""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("# 06 批量重估 / Batch revaluation\n\n"
       "财政部《关于加强数据资产管理的指导意见》要求对高溢价、高减值数据资产加强价值跟踪、审慎调整"
       "（财资〔2024〕167号）。本笔记演示 `valuation.batch`：\n"
       "1. 读取资产组合（主表 + 可比案例明细表），坏行进入拒收文件（行号、字段、值、中英文原因）；\n"
       "2. 高溢价筛选：重估前用上次评估值（无则申报价值）与账面价值之比，阈值取规则库 HIGH_PREMIUM；"
       "重估后报告全部风险标记；\n"
       "3. 分区并行估值（本机多进程或 Dask 集群），单项失败不影响整批；\n"
       "4. 与上次重估比对（价值变动、区间变动、新增/解除的风险标记），运行记录写入数据库。\n\n"
       "The batch runs the same engine as a single appraisal, partition by partition; results do not "
       "depend on the partitioning or the backend."),
    code("import tempfile\nfrom pathlib import Path\n\nimport numpy as np\nimport pandas as pd\n\n"
         "from valuation.api import revalue\nfrom valuation.batch import history, runs_diff, runs_list\n"
         "from valuation.batch.synth import synthetic_portfolio\n"
         "pd.set_option('display.width', 160)\npd.set_option('display.max_columns', 20)\n"
         "tmp = Path(tempfile.mkdtemp(prefix='nb06.'))\n"
         "db = f'sqlite:///{tmp / \"runs.db\"}'   # run history: a throw-away SQLite file\n"
         "AS_OF = '2026-01-15'"),
    md("## 1. 资产组合与坏行 / A portfolio with bad rows\n\n"
       "200 项合成资产（成本、收益、市场三法输入齐全），再故意放入：非数值的账面价值、重复的资产编号、"
       "不存在的资产的可比案例。"),
    code("assets, recs = synthetic_portfolio(200, seed=6, prefix='NB-')\n"
         "assets['book_value'] = assets['book_value'].astype(object)\n"
         "assets.loc[5, 'book_value'] = 'unknown'                  # not a number\n"
         "assets.loc[9, 'asset_id'] = assets.loc[8, 'asset_id']    # duplicate id\n"
         "comps = recs['market.comparables']\n"
         "src = tmp / 'portfolio.xlsx'\n"
         "with pd.ExcelWriter(src) as xw:\n"
         "    assets.to_excel(xw, sheet_name='assets', index=False)\n"
         "    comps.to_excel(xw, sheet_name='market.comparables', index=False)\n"
         "assets[['asset_id', 'book_value', 'previous_value', 'income_royalty_rate']].head()"),
    md("## 2. 全部重估 / Revalue everything"),
    code("s1 = revalue(src, tmp / 'run1.csv', library='seed', db=db, as_of=AS_OF, workers=1, chunk_size=60)\n"
         "print(s1.to_text('zh'))\nprint(s1.to_text('en'))\n"
         "c = s1.counts\n"
         "assert c['total'] == c['rejected'] + c['screened'] + c['screened_out']"),
    code("rej = pd.read_csv(s1.rejects)\nrej[['table', 'row', 'asset_id', 'field', 'value', 'reason_en']]"),
    code("r1 = pd.read_csv(s1.out)\n"
         "r1[['asset_id', 'status', 'estimate', 'low', 'high', 'cost_estimate', 'income_estimate', "
         "'market_estimate', 'flags']].head(8)"),
    md("## 3. 只重估高溢价项目 / Only the high-premium items\n\n"
       "重估前：增值率 = (上次评估值 − 账面价值) / 账面价值 ≥ 规则 HIGH_PREMIUM 的阈值（种子规则 100%，"
       "参照交易所“溢价 100%”口径，EXCH.premium100）；没有上次评估值的资产无法预先排除，先估值，"
       "新结果触发 HIGH_PREMIUM 才保留。重估后报告每项资产的全部风险标记。"),
    code("hp = revalue(src, tmp / 'high_premium.csv', only='high-premium', library='seed', db=db, "
         "as_of=AS_OF, workers=1)\n"
         "r_hp = pd.read_csv(hp.out)\n"
         "print(hp.counts)\n"
         "still = r_hp['flags'].fillna('').str.contains('HIGH_PREMIUM')\n"
         "print(f'{len(r_hp)} screened as high premium; {still.sum()} still high premium after revaluation')\n"
         "r_hp[['asset_id', 'screen_basis', 'screen_ratio', 'book_value', 'estimate', 'flags']].head()"),
    md("## 4. 第二次重估与比对 / A second run and the diff\n\n"
       "把前 5 项资产的许可费率提高一倍、把第 6 项的账面价值降到很低，再全部重估："
       "每项资产与其上次重估结果比对。"),
    code("changed = assets.copy()\n"
         "changed.loc[:4, 'income_royalty_rate'] *= 2\n"
         "changed.loc[6, 'book_value'] = 1000.0\n"
         "src2 = tmp / 'portfolio2.xlsx'\n"
         "with pd.ExcelWriter(src2) as xw:\n"
         "    changed.to_excel(xw, sheet_name='assets', index=False)\n"
         "    comps.to_excel(xw, sheet_name='market.comparables', index=False)\n"
         "s2 = revalue(src2, tmp / 'run2.csv', library='seed', db=db, as_of=AS_OF, workers=1, chunk_size=60)\n"
         "r2 = pd.read_csv(s2.out)\n"
         "moved = r2[(r2['change'].abs() > 1e-6) | r2['flags_new'].notna() | r2['flags_cleared'].notna()]\n"
         "moved[['asset_id', 'previous_estimate', 'estimate', 'change_ratio', 'flags_new', 'flags_cleared']]"),
    code("x6 = assets.loc[6, 'asset_id']\n"
         "print('new flags of', x6, ':', r2.set_index('asset_id').loc[x6, 'flags_new'])\n"
         "history(x6, db=db)[['run_id', 'estimate', 'low', 'high', 'flags']]"),
    code("runs_list(db=db)[['id', 'only', 'total', 'rejected', 'screened', 'valued', 'failed', 'flagged']]"),
    code("d = runs_diff(s1.run_id, s2.run_id, db=db)\n"
         "print('assets whose value changed:', int((d['change'].abs() > 1e-6).sum()))\n"
         "d.loc[d['change'].abs() > 1e-6, ['asset_id', 'estimate_a', 'estimate_b', 'change_ratio']]"),
    md("## 5. 命令行 / Command line\n\n"
       "```\nvaluation revalue portfolio.xlsx --out results.csv --only high-premium\n"
       "valuation revalue big.parquet --out results.parquet --backend dask --scheduler tcp://host:8786\n"
       "valuation revalue big.parquet --out results.parquet --resume     # after a crash or Ctrl-C\n"
       "valuation runs list\nvaluation runs diff RUN_A RUN_B\nvaluation runs history ASSET_ID\n```\n\n"
       "结果文件与拒收文件均以原子方式写入（临时文件 + `os.replace`），中断不会留下半个文件；"
       "`--resume` 复用 `<out>.parts/` 中已完成的分区，输出与一次跑完相同。"),
]

nb = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"}})
for i, c in enumerate(nb.cells):  # stable ids: rebuilding gives the same file
    c["id"] = f"nb06-{i:02d}"
nbf.write(nb, HERE / "06_batch_revaluation.ipynb")
print(HERE / "06_batch_revaluation.ipynb")
