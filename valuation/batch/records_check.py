"""Validation of the records side files of a batch (issue 18, deliverable 3).

Records tables (``market.comparables``, ``cost.lines``, ``income.contributory``,
``income.scenarios``, ``asset.quality.indicators``: sibling files or sheets, docs/INTERCHANGE.md)
are checked with the SAME schema fields as the records of a JSON card (``core/schema.py``:
kind, bounds, allowed values, required), by the same vectorised column check that validates
the main table (``core.validate``). Before this, their rows were coerced without a check:
negative prices and unknown price modes silently vanished, text quality scores went in.

What a bad records row does, and why: a card whose comparable is invalid is refused as a
whole, so an asset with an invalid records row is not valued either (valuing it on the rows
that remain would silently change its value). Each bad row becomes a reject with its table,
1-based row, field, value and bilingual reason; the asset gets one reject in the assets table
naming the records row; its other records rows are then unused and rejected as well (the
pipeline's orphan rule), so every records row is accounted for:
``records in = records used + records rejected``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue
from ..core.layout import record_fields
from ..core.validate import issue_for, missing_issue, unknown_issue
from ..core.validate_table import coerce_column

__all__ = ["RecordsCheck", "accounting", "balance_text", "check_all", "check_records", "dup_rejects",
           "orphan_rejects", "records_asset_rejects", "unused_records_rejects"]

REJECTS_COLUMNS = ["table", "row", "asset_id", "field", "value", "allowed", "reason_zh", "reason_en"]


class RecordsCheck:
    """Outcome for one records table: table-level issues (refuse the run), row rejects,
    the mask of bad rows, and the frame with list columns parsed."""

    def __init__(self, table_issues: list[Issue], rejects: pd.DataFrame, bad: np.ndarray,
                 frame: pd.DataFrame):
        self.table_issues, self.rejects, self.bad, self.frame = table_issues, rejects, bad, frame


def _numbers(v: object) -> list[float] | None:
    """A list of finite numbers from a list/array or text (``1;2;3``, ``1,2,3``, ``[1, 2]``)."""
    if isinstance(v, str):
        t = v.strip()
        try:
            v = json.loads(t) if t.startswith("[") else [x for x in t.replace(",", ";").split(";")
                                                        if x.strip()]
        except ValueError:
            return None
    if isinstance(v, (list, tuple, np.ndarray)) and len(v):
        out = []
        for x in v:
            try:
                f = float(x)
            except (TypeError, ValueError, OverflowError):
                return None
            if not math.isfinite(f) or isinstance(x, bool):
                return None
            out.append(f)
        return out
    return None


def _list_column(f, name: str, s: pd.Series, ids: list, issues: list[Issue]) -> pd.Series:
    vals = s.astype(object).to_numpy()
    out = np.empty(len(vals), dtype=object)
    for r, v in enumerate(vals):
        missing = v is None or (isinstance(v, float) and math.isnan(v)) or \
            (isinstance(v, str) and not v.strip())
        if missing:
            if f.required:
                issues.append(missing_issue(f, name, row=r, asset_id=ids[r]))
            out[r] = None
            continue
        nums = _numbers(v)
        if nums is None:
            issues.append(issue_for(f, name, v, row=r, asset_id=ids[r],
                                    allowed_zh="数值列表（如 1;2;3）", allowed_en="a list of numbers (e.g. 1;2;3)"))
        out[r] = nums
    return pd.Series(out, index=s.index, dtype=object)


class _RowIds:
    """The asset id of a row (``None`` when missing), looked up only for the rows an issue
    names: a list of every row's id cost one Python string per records row (3·10⁶ for a
    million assets with three comparables each)."""

    def __init__(self, s: pd.Series):
        self.s = s

    def __getitem__(self, r: int) -> Any:
        v = self.s.iloc[int(r)]
        return None if pd.isna(v) else v

    def __len__(self) -> int:
        return len(self.s)


def check_records(table: str, fr: pd.DataFrame) -> RecordsCheck:
    """Check every row of records ``table`` (a frame with ``asset_id``; positions = rows)."""
    fr = fr.reset_index(drop=True)
    fields = record_fields().get(table, [])
    by_name = {f.path.rsplit(".", 1)[1]: f for f in fields}
    table_issues = [unknown_issue(f"{table}.{c}", None, known=list(by_name))
                    for c in fr.columns if c != "asset_id" and c not in by_name]
    table_issues += [missing_issue(f, f"{table}.{n}") for n, f in by_name.items()
                     if f.required and n not in fr.columns]
    ids = _RowIds(fr["asset_id"])
    issues: list[Issue] = []
    out = fr.copy(deep=False)   # copy-on-write: only the list columns replaced below are new
    for name, f in by_name.items():
        if name not in fr.columns:
            continue
        if f.kind == "list_number":
            out[name] = _list_column(f, name, fr[name], ids, issues)
        else:
            coerce_column(f, name, fr[name], ids, issues)
    missing_id = fr["asset_id"].isna().to_numpy() | (fr["asset_id"].astype(str).str.strip() == "").to_numpy()
    for r in np.flatnonzero(missing_id):
        issues.append(Issue("asset_id", None, "the asset_id of a row of the main table",
                            f"第 {r + 1} 行：缺少资产编号 asset_id", f"row {r + 1}: asset_id is missing",
                            row=int(r)))
    bad = np.zeros(len(fr), dtype=bool)
    rows = []
    for i in issues:
        bad[i.row] = True
        rows.append({"table": table, "row": i.row + 1, "asset_id": i.asset_id,
                     "field": f"{table}.{i.field}", "value": None if i.value is None else str(i.value),
                     "allowed": i.allowed, "reason_zh": f"明细表 {table} " + i.message_zh,
                     "reason_en": f"records table {table} " + i.message_en})
    rejects = pd.DataFrame(rows, columns=REJECTS_COLUMNS)
    return RecordsCheck(table_issues, rejects, bad, out)


def records_asset_rejects(ids: pd.Series, checks: dict[str, RecordsCheck],
                          candidates: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Main-table rows (among ``candidates``) whose asset has an invalid records row: one
    reject each, naming the first bad records row; returns ``(rejects, bad mask of rows)``."""
    first: dict[str, str] = {}
    for table, chk in checks.items():
        if len(chk.rejects):
            for aid, row in zip(chk.rejects["asset_id"], chk.rejects["row"]):
                if aid is not None and aid not in first:
                    first[str(aid)] = f"{table} row {row}"
    # (a hash look-up in C over the rows; none at all when every records row is valid)
    bad = candidates & ids.isin(list(first)).to_numpy(bool) if first else np.zeros(len(ids), bool)
    rows = np.flatnonzero(bad)
    recs = _asset_rows(rows, _objects(ids, rows), first)
    return pd.DataFrame(recs, columns=REJECTS_COLUMNS), bad


def _objects(s: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The values of ``s`` at positions ``rows`` as Python objects: only those rows are made
    Python strings (all 10⁶ ids were, for the few a reject names)."""
    return s.iloc[rows].to_numpy(object)


def _asset_rows(rows: Iterable[int], vals: np.ndarray, first: dict[str, str]) -> list[dict]:
    """One reject per main-table row ``rows`` (``vals``: their ids, in the same order)."""
    out = []
    for r, aid in zip(rows, vals):
        where = first[str(aid)]
        table = where.split(" row ")[0]
        out.append({"table": "assets", "row": int(r) + 1, "asset_id": aid, "field": table,
                    "value": where, "allowed": "valid records rows",
                    "reason_zh": f"第 {r + 1} 行：资产 {aid!r} 的明细（{where.replace(' row ', ' 第 ')} 行）无效，"
                                 "该资产未估值（与卡片一致：明细有误的卡片整体拒收）",
                    "reason_en": f"row {r + 1}: a records row of asset {aid!r} ({where}) is invalid; the "
                                 "asset is not valued (as for a card, whose invalid records refuse it)"})
    return out


def check_all(records: dict[str, pd.DataFrame]) -> dict[str, RecordsCheck]:
    """:func:`check_records` of every table; table-level problems (unknown or missing
    required columns) refuse the run, as they do for the main table."""
    from ..core.errors import ValidationError

    checks = {name: check_records(name, fr) for name, fr in records.items()}
    issues = [i for c in checks.values() for i in c.table_issues]
    if issues:
        raise ValidationError(issues)
    return checks


def unused_records_rejects(assigned: dict[str, tuple[pd.DataFrame, np.ndarray]],
                           rejected_ids: set) -> list[pd.DataFrame]:
    """Records rows handed to a partition whose asset the partition then rejected (bad main
    table row): not used, so rejected too — every records row is accounted for."""
    out = []
    for table, (fr, pnum) in assigned.items():
        hit = (pnum >= 0) & fr["asset_id"].astype(object).isin(rejected_ids).to_numpy(bool)
        rows = np.flatnonzero(hit)
        if not len(rows):
            continue
        vals = fr["asset_id"].to_numpy(object)[rows]
        out.append(pd.DataFrame({
            "table": table, "row": (rows + 1).astype("int64"), "asset_id": vals,
            "field": f"{table}.asset_id", "value": vals, "allowed": "an asset_id of a valid row",
            "reason_zh": [f"明细表 {table} 第 {r + 1} 行：资产 {v!r} 的主表行被拒收，该行未使用"
                          for r, v in zip(rows, vals)],
            "reason_en": [f"records table {table} row {r + 1}: the main-table row of asset {v!r} was "
                          "rejected; the row is not used" for r, v in zip(rows, vals)]}))
    return out


def accounting(counts: dict[str, int], rejects: pd.DataFrame, records_in: int) -> dict[str, int]:
    """Add the records balance to the run counts: ``records_in = records_used +
    rejected_records`` (a records row with several bad fields counts once)."""
    rec = rejects.loc[rejects["table"] != "assets", ["table", "row"]] if len(rejects) else None
    rejected = 0 if rec is None else int(len(rec.drop_duplicates()))
    return {**counts, "records_in": int(records_in), "rejected_records": rejected,
            "records_used": int(records_in) - rejected}


def balance_text(c: dict[str, int], lang: str = "zh") -> str:
    """The run's balance in words: assets in = valued + no estimate + failed + screened out +
    rejected; records in = used + rejected (and whether it adds up)."""
    parts = [c.get(k, 0) for k in ("valued", "no_estimate", "failed", "screened_out", "rejected")]
    ok_a = c.get("total", 0) == sum(parts)
    ok_r = c.get("records_in", 0) == c.get("records_used", 0) + c.get("rejected_records", 0)
    if lang == "en":
        return (f"assets: {c.get('total', 0)} in = {parts[0]} valued + {parts[1]} no estimate + "
                f"{parts[2]} failed + {parts[3]} screened out + {parts[4]} rejected"
                f"{'' if ok_a else ' (DOES NOT ADD UP)'}; records: {c.get('records_in', 0)} in = "
                f"{c.get('records_used', 0)} used + {c.get('rejected_records', 0)} rejected"
                f"{'' if ok_r else ' (DOES NOT ADD UP)'}")
    return (f"资产：输入 {c.get('total', 0)} = 完成估值 {parts[0]} + 无估值 {parts[1]} + 失败 {parts[2]}"
            f" + 未入选 {parts[3]} + 拒收 {parts[4]}{'' if ok_a else '（不平衡）'}；明细行：输入 "
            f"{c.get('records_in', 0)} = 使用 {c.get('records_used', 0)} + 拒收 "
            f"{c.get('rejected_records', 0)}{'' if ok_r else '（不平衡）'}")


def dup_rejects(ids: pd.Series, dup: np.ndarray) -> pd.DataFrame:
    """Main-table rows whose asset_id repeats an earlier row's."""
    rows = np.flatnonzero(dup)
    vals = _objects(ids, rows)
    fr = pd.DataFrame({
        "table": "assets", "row": (rows + 1).astype("int64"), "asset_id": vals, "field": "asset_id",
        "value": vals, "allowed": "unique ids",
        "reason_zh": [f"第 {r + 1} 行：资产编号 {v!r} 重复（与前面的行相同），该行未估值" for r, v in zip(rows, vals)],
        "reason_en": [f"row {r + 1}: duplicate asset_id {v!r} (same as an earlier row); the row is not valued"
                      for r, v in zip(rows, vals)]})
    return fr


def orphan_rejects(table: str, fr: pd.DataFrame, bad: np.ndarray) -> pd.DataFrame:
    """Records rows whose asset is not a kept row of the main table."""
    rows = np.flatnonzero(bad)
    vals = _objects(fr["asset_id"], rows)
    return pd.DataFrame({
        "table": table, "row": (rows + 1).astype("int64"), "asset_id": vals, "field": f"{table}.asset_id",
        "value": vals, "allowed": "an asset_id of a valid row of the main table",
        "reason_zh": [f"明细表 {table} 第 {r + 1} 行：资产 {v!r} 不在主表中（或其行被拒收），该行未使用"
                      for r, v in zip(rows, vals)],
        "reason_en": [f"records table {table} row {r + 1}: asset {v!r} is not in the main table (or its row "
                      f"was rejected); the row is not used" for r, v in zip(rows, vals)]})
