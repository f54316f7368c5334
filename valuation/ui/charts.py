"""Plotly charts of the dashboard: football field, tornado, two-way heat map, history."""
from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..core.result import METHOD_LABELS


def football_field(result: dict[str, Any], lang: str = "zh") -> go.Figure:
    """Each approach's range (bar from low to high, point at the estimate) and the guided range."""
    zh = lang != "en"
    rows = []
    for m, d in result.get("methods", {}).items():
        if not d.get("applicable") or d.get("estimate") is None:
            continue
        lo = d.get("low") if d.get("low") is not None else d["estimate"]
        hi = d.get("high") if d.get("high") is not None else d["estimate"]
        rows.append((METHOD_LABELS.get(m, (m, m))[0 if zh else 1], lo, hi, d["estimate"]))
    if result.get("estimate") is not None:
        lo = result.get("low") if result.get("low") is not None else result["estimate"]
        hi = result.get("high") if result.get("high") is not None else result["estimate"]
        rows.append(("指导价区间" if zh else "Guided range", lo, hi, result["estimate"]))
    fig = go.Figure()
    for name, lo, hi, est in rows:
        fig.add_trace(go.Bar(y=[name], x=[hi - lo], base=[lo], orientation="h", name=name,
                             hovertemplate=f"{name}: %{{base:,.0f}} – {hi:,.0f}<extra></extra>"))
        fig.add_trace(go.Scatter(y=[name], x=[est], mode="markers", marker={"symbol": "diamond",
                                 "size": 12, "color": "black"}, showlegend=False,
                                 hovertemplate=f"{est:,.0f}<extra></extra>"))
    fig.update_layout(barmode="overlay", showlegend=False, height=120 + 60 * len(rows),
                      xaxis_title=result.get("currency", "CNY"), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def tornado(df: pd.DataFrame, base: float, lang: str = "zh") -> go.Figure:
    """``df`` has columns parameter, low_value, high_value (estimates at the low/high input)."""
    d = df.assign(width=(df["high_value"] - df["low_value"]).abs()).sort_values("width")
    fig = go.Figure()
    fig.add_trace(go.Bar(y=d["parameter"], x=d["low_value"] - base, base=base, orientation="h",
                         name="低值" if lang != "en" else "low input"))
    fig.add_trace(go.Bar(y=d["parameter"], x=d["high_value"] - base, base=base, orientation="h",
                         name="高值" if lang != "en" else "high input"))
    fig.update_layout(barmode="overlay", height=120 + 40 * len(d), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def heatmap(grid: pd.DataFrame, x_title: str, y_title: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=[str(c) for c in grid.columns],
                               y=[str(i) for i in grid.index], colorscale="Blues",
                               hovertemplate="%{y} × %{x}: %{z:,.0f}<extra></extra>"))
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=360,
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def history_line(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    fig = go.Figure()
    x = next((df[c] for c in ("valuation_date", "started_at") if c in df), df.index)
    fig.add_trace(go.Scatter(x=x, y=df["estimate"], mode="lines+markers",
                             name="评估值" if lang != "en" else "estimate"))
    if "low" in df and "high" in df:
        fig.add_trace(go.Scatter(x=x, y=df["high"], mode="lines", line={"dash": "dot"},
                                 name="上限" if lang != "en" else "high"))
        fig.add_trace(go.Scatter(x=x, y=df["low"], mode="lines", line={"dash": "dot"},
                                 name="下限" if lang != "en" else "low"))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig
