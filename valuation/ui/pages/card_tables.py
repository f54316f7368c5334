"""Table forms of the card page (``st.data_editor``): cost lines, comparables, quality scores
and income streams, typed cell by cell instead of raw JSON (issue 19, deliverable 6).

Each editor is built from the schema table (labels, enumerations, bounds), writes its rows
back into the card and shows the validation messages of its cells right under the table.
The editor is fed the rows of the card as they were when this card revision started
(``_base``): Streamlit keeps a data editor's edits as deltas on its input, so feeding back
the already edited rows would apply added rows twice.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd
import streamlit as st

from ...core.schema import STREAM_KEYS, Field, fields_for
from ..i18n import lang, t
from ..labels import enum_label, field_label, text_of
from ..state import card_rev

QUALITY_DIMS = ("normativeness", "completeness", "accuracy", "consistency", "timeliness", "accessibility")
STREAMS = ("revenue", "income", "base", "nopat", "with", "without", "savings")


def _ekey(name: str) -> str:
    """Key of an editor: per card revision and language (its cells hold the language's words)."""
    return f"f_{card_rev()}_{lang()}_{name}"


def _base(name: str, make) -> pd.DataFrame:
    """The rows the editor starts from in this revision and language. A switch of language
    starts from the card as it is now and forgets the other language's base, whose rows
    are older than the edits made since (the browser test caught the words of one language
    being written back as values in the other)."""
    key = _ekey(name) + "_base"
    if key not in st.session_state:
        stale = [k for k in st.session_state if str(k).startswith(f"f_{card_rev()}_")
                 and str(k).endswith(f"_{name}_base")]
        for k in stale:
            del st.session_state[k]
        st.session_state[key] = make()
    return st.session_state[key]


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == "" or v is pd.NaT


def _same_cell(a: Any, b: Any) -> bool:
    """The cell ``a`` the editor returns is the cell ``b`` it was shown (untouched)."""
    return (_empty(a) and _empty(b)) or (not _empty(a) and not _empty(b) and a == b)


def _num(v: Any) -> float | None:
    """A number the table can show; ``None`` for a value it cannot (a word, a list, a bool):
    such a value stays in the card as it is (see :func:`_same_cell`) and its validation
    message is shown under the table."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _not_a_table(title: str, issues: list[dict], path: str) -> None:
    """The part at ``path`` is not in a form a table can show (e.g. a list that is not a list
    of objects): its messages, and the JSON editor below to correct it."""
    st.markdown(f"**{title}**")
    st.info(t("table_in_json"))
    for i in issues:
        if i["field"] == path or i["field"].startswith((path + ".", path + "[")):
            st.error(text_of(i, "message"), icon="⚠️")


def _cell_messages(issues: list[dict], prefix: str, cols: dict[str, str]) -> None:
    """Messages of ``prefix[i].col`` fields, with the row number and column label."""
    pat = re.compile(re.escape(prefix) + r"\[(\d+)\]\.?([\w.]*)")
    for i in issues:
        m = pat.fullmatch(i["field"]) or pat.match(i["field"])
        if not m:
            continue
        msg = text_of(i, "message")
        col = cols.get(m.group(2), m.group(2) or "—")
        st.error(t("cell_error", row=int(m.group(1)) + 1, col=col, msg=msg), icon="⚠️")


def _column_config(f: Field) -> Any:
    cc = st.column_config
    label = field_label(f)
    if f.kind == "enum":
        return cc.SelectboxColumn(label, options=[enum_label(v, enum=f.enum) for v in f.allowed or ()],
                                  required=f.required)
    if f.kind in ("number", "int"):
        return cc.NumberColumn(label, min_value=f.minimum, max_value=f.maximum, required=f.required,
                               format="localized", step=1 if f.kind == "int" else None)
    if f.kind == "date":
        return cc.DateColumn(label, format="YYYY-MM-DD", required=f.required)
    return cc.TextColumn(label, required=f.required)


def records_editor(card: dict, path: str, title: str, issues: list[dict], skip: tuple[str, ...] = (),
                   doc: str = "card", key: str | None = None) -> None:
    """Edit the list of objects at ``path`` (e.g. ``cost.lines``) as a table; writes into ``card``
    (a document of the schema's kind ``doc``: an asset card, or a public-data ``product``).
    ``key`` names the editor's state (default ``path``); a new key starts it from ``card``."""
    name = key or path
    fields = [f for f in fields_for(doc) if f.path.startswith(path + "[].")
              and "." not in f.path[len(path) + 3:] and f.path.rsplit(".", 1)[-1] not in skip]
    names = [f.path.rsplit(".", 1)[-1] for f in fields]
    parent, last = _parent(card, path)
    rows = (parent or {}).get(last) or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        _not_a_table(title, issues, path)   # writing a table back would drop what it cannot show
        return

    def make() -> pd.DataFrame:
        return pd.DataFrame({n: _column([_to_cell(r.get(n), f) for r in rows], f)
                             for n, f in zip(names, fields)}, columns=names)

    st.markdown(f"**{title}**")
    base = _base(name, make)
    df = st.data_editor(base, num_rows="dynamic", hide_index=True, width="stretch",
                        key=_ekey(name) + "_editor",
                        column_config={n: _column_config(f) for n, f in zip(names, fields)})
    shown = base.to_dict("records")
    new = [_row_from_cells(r, fields, names, old, seen) for r, old, seen in
           zip(df.to_dict("records"), rows + [{}] * max(0, len(df) - len(rows)),
               shown + [{}] * max(0, len(df) - len(shown)))]
    new = [r for r in new if r]
    if new != rows:
        if parent is None:
            parent = _make_parent(card, path)
        if new:
            parent[last] = new
        else:
            parent.pop(last, None)
    _cell_messages(issues, path, {n: field_label(f) for n, f in zip(names, fields)})


def _parent(card: dict, path: str) -> tuple[dict | None, str]:
    parts = path.split(".")
    cur: Any = card
    for p in parts[:-1]:
        cur = cur.get(p) if isinstance(cur, dict) else None
    return (cur if isinstance(cur, dict) else None), parts[-1]


def _make_parent(card: dict, path: str) -> dict:
    cur = card
    for p in path.split(".")[:-1]:
        cur = cur.setdefault(p, {})
    return cur


def _column(values: list, f: Field) -> pd.Series:
    """A column whose dtype the editor's column type accepts even when it is empty."""
    if f.kind == "date":
        return pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce")
    if f.kind in ("number", "int"):
        return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
    return pd.Series(values, dtype="object")


def _to_cell(v: Any, f: Field) -> Any:
    if v is None:
        return None
    if f.kind == "enum":
        return enum_label(v, enum=f.enum) if isinstance(v, str) else str(v)
    if f.kind == "date":
        try:
            return dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            return None
    if f.kind in ("number", "int"):
        return _num(v)
    return v


def _row_from_cells(r: dict, fields: list[Field], names: list[str], old: dict,
                    shown: dict | None = None) -> dict:
    """One edited row back into card form; keys the table does not show, and cells left as
    they were ``shown``, are kept from ``old`` as they are (a date ``2025/1/1`` or an amount
    written as text is not dropped, an integer not made a float); without ``shown`` every cell
    is read as typed."""
    out = {k: v for k, v in old.items() if k not in names}
    for n, f in zip(names, fields):
        v = r.get(n)
        if shown is not None and n in old and n in shown and _same_cell(v, shown[n]):
            out[n] = old[n]
            continue
        if _empty(v):
            continue
        if f.kind == "enum":
            back = {w: c for c in f.allowed or () for w in
                    (c, enum_label(c, "zh", f.enum), enum_label(c, "en", f.enum))}
            v = back.get(v, v)
        elif f.kind == "date":
            v = v.isoformat()[:10] if hasattr(v, "isoformat") else str(v)
        elif f.kind == "int":
            v = int(v)
        elif f.kind == "number":
            v = float(v)
            v = int(v) if v.is_integer() and isinstance(old.get(n), int) else v
        out[n] = v
    return out


def quality_editor(card: dict, issues: list[dict]) -> None:
    """The six GB/T 36344 dimension scores (0–100) as one editable column."""
    by = {f.path.rsplit(".", 1)[-1]: f for f in fields_for("card") if f.path.startswith("asset.quality.")}
    asset = card.get("asset")
    q = (asset.get("quality") if isinstance(asset, dict) else None) or {}
    if not isinstance(q, dict):
        _not_a_table(t("quality_scores"), issues, "asset.quality")
        return

    def make() -> pd.DataFrame:
        return pd.DataFrame({"dim": [field_label(by[d]) for d in QUALITY_DIMS],
                             "score": [_num(q.get(d)) for d in QUALITY_DIMS]}).astype({"score": "float"})

    st.markdown(f"**{t('quality_scores')}**")
    base = _base("quality", make)
    df = st.data_editor(base, hide_index=True, width="stretch",
                        key=_ekey("quality") + "_editor", disabled=["dim"],
                        column_config={"dim": st.column_config.TextColumn(t("dimension")),
                                       "score": st.column_config.NumberColumn(t("score"), min_value=0,
                                                                              max_value=100, format="%.1f")})
    new = dict(q)
    for d, v, was in zip(QUALITY_DIMS, df["score"].tolist(), base["score"].tolist()):
        if _same_cell(v, was):
            continue            # untouched: the card's value stays as it is
        if _empty(v):
            new.pop(d, None)
        else:
            new[d] = int(v) if float(v).is_integer() and isinstance(q.get(d), int) else float(v)
    if new != q:
        card.setdefault("asset", {})["quality"] = new
    for i in issues:
        if i["field"].rsplit(".", 1)[-1] in QUALITY_DIMS and i["field"].startswith("asset.quality."):
            st.error(text_of(i, "message"), icon="⚠️")


def _streams_of(card: dict, form: type) -> tuple[dict, dict, list[str]]:
    """The card's income section, the schema's stream fields by name, and the streams written
    in ``form`` (``list``: period by period; ``dict``: base and growth); no names without an
    income section."""
    inc = card.get("income")
    if not isinstance(inc, dict):
        return {}, {}, []
    by = {f.path.rsplit(".", 1)[-1]: f for f in fields_for("card") if f.kind == "stream"}
    return inc, by, [s for s in STREAMS if isinstance(inc.get(s), form)]


def streams_editor(card: dict, issues: list[dict]) -> None:
    """Income streams given period by period (lists) as one table: a row per period, a column
    per stream. Streams written as ``{base, growth}`` stay in the JSON editor."""
    inc, by, names = _streams_of(card, list)
    if not names:
        return
    n = max(len(inc[s]) for s in names)

    def make() -> pd.DataFrame:
        return pd.DataFrame({s: [_num(v) for v in inc[s]] + [None] * (n - len(inc[s]))
                             for s in names}, index=range(1, n + 1)).astype(float)

    st.markdown(f"**{t('revenue_streams')}**")
    cfg = {s: st.column_config.NumberColumn(field_label(by[s]), format="localized") for s in names}
    cfg["_index"] = st.column_config.NumberColumn(t("period"))
    base = _base("streams", make)
    df = st.data_editor(base, num_rows="dynamic", width="stretch",
                        key=_ekey("streams") + "_editor", column_config=cfg)
    for s in names:
        old = inc[s]
        was = base[s].tolist()
        vals = [old[i] if i < len(old) and i < len(was) and _same_cell(v, was[i])  # untouched: as it is
                else None if _empty(v) else float(v) for i, v in enumerate(df[s].tolist())]
        while vals and vals[-1] is None and not (len(vals) <= len(old) and old[len(vals) - 1] is None):
            vals.pop()      # rows past the stream's end (a None the card holds itself stays)
        vals = [int(v) if isinstance(v, float) and v.is_integer() and i < len(old) and isinstance(old[i], int)
                and not isinstance(old[i], bool) else v for i, v in enumerate(vals)]
        if vals != old:
            inc[s] = vals
    for i in issues:
        head = i["field"].split("[")[0]
        if head in {f"income.{s}" for s in names} or any(i["field"].startswith(f"income.{s}.") for s in names):
            st.error(text_of(i, "message"), icon="⚠️")


def _percent_list(text: Any) -> list[float] | None:
    """``"12, 10, 8"`` (percent) → ``[0.12, 0.10, 0.08]``; None when a part is not a number."""
    parts = [p for p in re.split(r"[,，、;；\s]+", str(text or "").replace("%", "")) if p]
    try:
        return [round(float(p) / 100.0, 10) for p in parts]
    except ValueError:
        return None


def growth_streams_editor(card: dict, issues: list[dict]) -> None:
    """Streams written as ``{base, growth, terminal_growth}``: one row each, the base amount,
    the growth rates as percentages (``12, 10, 8``) and the terminal growth in percent."""
    inc, by, names = _streams_of(card, dict)
    if not names:
        return

    def pct_text(g: Any) -> str:
        """Percentages to 12 significant digits: the ``:g`` default of 6 rounded a growth rate
        of 0.123456789 to 12.3457 % and wrote it back on opening the card."""
        gs = g if isinstance(g, list) else [] if g is None else [g]
        return ", ".join(f"{x * 100:.12g}" if (x := _num(v)) is not None else str(v) for v in gs)

    def make() -> pd.DataFrame:
        tg = [_num(inc[s].get("terminal_growth")) for s in names]
        return pd.DataFrame({
            "stream": [field_label(by[s]) for s in names],
            "base": [_num(inc[s].get("base")) for s in names],
            "growth": [pct_text(inc[s].get("growth")) for s in names],
            "terminal": [None if x is None else x * 100 for x in tg]}).astype({"base": "float", "terminal": "float"})

    cc = st.column_config
    st.markdown(f"**{t('growth_streams')}**")
    base = _base("growth_streams", make)
    df = st.data_editor(base, hide_index=True, width="stretch", disabled=["stream"],
                        key=_ekey("growth_streams") + "_editor",
                        column_config={"stream": cc.TextColumn(t("stream")),
                                       "base": cc.NumberColumn(t("stream_base"), format="localized"),
                                       "growth": cc.TextColumn(t("stream_growth")),
                                       "terminal": cc.NumberColumn(t("stream_terminal"), format="%.2f")})
    for s, row, was in zip(names, df.to_dict("records"), base.to_dict("records")):
        if all(_same_cell(row[c], was[c]) for c in ("base", "growth", "terminal")):
            continue    # an untouched row leaves the stream as it is (also what it cannot show)
        new = dict(inc[s])
        g = _percent_list(row["growth"])
        if g is None:
            st.error(t("cell_error", row=names.index(s) + 1, col=t("stream_growth"), msg=t("must_be_number")),
                     icon="⚠️")
            continue
        old_g = inc[s].get("growth")
        if not _same_cell(row["growth"], was["growth"]):   # only a changed cell is written
            new["growth"] = g if isinstance(old_g, list) or len(g) != 1 else g[0]
            if not g:
                new.pop("growth", None)
        for key, col, scale in (("base", "base", 1.0), ("terminal_growth", "terminal", 0.01)):
            v = row[col]
            if _same_cell(v, was[col]):
                continue
            if _empty(v):
                new.pop(key, None)
            else:
                x = round(float(v) * scale, 10)
                new[key] = int(x) if key == "base" and x.is_integer() and isinstance(inc[s].get(key), int) else x
        if _same_stream(new, inc[s]):
            continue
        inc[s] = new
    for i in issues:
        if any(i["field"].startswith(f"income.{s}.") or i["field"] == f"income.{s}" for s in names):
            st.error(text_of(i, "message"), icon="⚠️")


def _same_stream(a: dict, b: dict) -> bool:
    """Equal up to the rounding of percentages typed back (1e-9)."""
    if set(a) != set(b):
        return False
    for k in set(a) & set(STREAM_KEYS):
        x, y = a[k], b[k]
        xs, ys = (x if isinstance(x, list) else [x]), (y if isinstance(y, list) else [y])
        if isinstance(x, list) != isinstance(y, list) or len(xs) != len(ys):
            return False
        if any(abs(float(p) - float(q)) > 1e-9 for p, q in zip(xs, ys)):
            return False
    return True
