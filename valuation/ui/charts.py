"""Plotly charts of the dashboard: football field, tornado, two-way heat map, history.

Amounts are plotted in the unit the reader chose (元 or 万元: values divided by ``scale``),
with thousands separators (``separators=".,"``) and the unit on the axis, never Plotly's SI
suffixes (2M/4M); hover texts are the formatting layer's strings.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..core.result import METHOD_LABELS

Fmt = Callable[[Any], str]
#: no Plotly mode bar: its buttons are English-only tooltips and an appraiser reads, not pans
PLOTLY_CONFIG = {"displayModeBar": False}
_LAYOUT = {"separators": ".,", "margin": {"l": 10, "r": 10, "t": 10, "b": 10}}


def _money_axis(fig: go.Figure, axis: str, title: str) -> None:
    getattr(fig, f"update_{axis}axes")(title_text=title, tickformat=",.0f", exponentformat="none")


def football_field(result: dict[str, Any], lang: str, money: Fmt, unit_title: str,
                   scale: float = 1.0, guided: str = "指导价区间") -> go.Figure:
    """Each approach's range (bar from low to high, diamond at the estimate) and the guided range."""
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
        rows.append((guided, lo, hi, result["estimate"]))
    fig = go.Figure()
    for name, lo, hi, est in rows:
        fig.add_trace(go.Bar(y=[name], x=[(hi - lo) / scale], base=[lo / scale], orientation="h",
                             name=name, hovertext=[f"{name}: {money(lo)} – {money(hi)}"],
                             hoverinfo="text"))
        fig.add_trace(go.Scatter(y=[name], x=[est / scale], mode="markers", showlegend=False,
                                 marker={"symbol": "diamond", "size": 12, "color": "black"},
                                 hovertext=[f"{name}: {money(est)}"], hoverinfo="text"))
    fig.update_layout(barmode="overlay", showlegend=False, height=120 + 60 * len(rows), **_LAYOUT)
    _money_axis(fig, "x", unit_title)
    return fig


def tornado(df: pd.DataFrame, base: float, money: Fmt, unit_title: str, names: tuple[str, str],
            scale: float = 1.0) -> go.Figure:
    """``df`` has columns parameter, low_value, high_value (estimates at the low/high input)."""
    d = df.assign(width=(df["high_value"] - df["low_value"]).abs()).sort_values("width")
    fig = go.Figure()
    for col, name in (("low_value", names[0]), ("high_value", names[1])):
        fig.add_trace(go.Bar(y=d["parameter"], x=(d[col] - base) / scale, base=base / scale,
                             orientation="h", name=name, hoverinfo="text",
                             hovertext=[f"{p}: {money(v)}" for p, v in zip(d["parameter"], d[col])]))
    fig.update_layout(barmode="overlay", height=120 + 40 * len(d), **_LAYOUT)
    _money_axis(fig, "x", unit_title)
    return fig


def heatmap(grid: pd.DataFrame, x_title: str, y_title: str, money: Fmt, tick: Fmt,
            scale: float = 1.0) -> go.Figure:
    """Two-way grid of the estimate; axes are rates (``tick`` writes them as percentages)."""
    xs = [tick(c) for c in grid.columns]
    ys = [tick(i) for i in grid.index]
    z = grid.to_numpy(dtype=float)
    text = [[f"{y} × {x}: {money(v)}" for x, v in zip(xs, row)] for y, row in zip(ys, z)]
    fig = go.Figure(go.Heatmap(z=z / scale, x=xs, y=ys, colorscale="Blues", hoverinfo="text",
                               text=text, colorbar={"tickformat": ",.0f"}))
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, height=360, **_LAYOUT)
    return fig


def history_line(df: pd.DataFrame, money: Fmt, unit_title: str, names: tuple[str, str, str],
                 x_title: str, date_text: Fmt, scale: float = 1.0) -> go.Figure:
    """Estimate (and range) of one asset by valuation date (``df`` sorted by ``valuation_date``)."""
    fig = go.Figure()
    # valuation dates are few and far apart: one category each (a date axis would invent
    # hourly ticks around a single date)
    x = [date_text(d) for d in df["valuation_date"]]
    for col, name, style in (("estimate", names[0], {}), ("high", names[2], {"dash": "dot"}),
                             ("low", names[1], {"dash": "dot"})):
        if col not in df:
            continue
        fig.add_trace(go.Scatter(x=x, y=df[col] / scale, mode="lines+markers" if col == "estimate" else "lines",
                                 line=style, name=name, hoverinfo="text",
                                 hovertext=[f"{name}: {money(v)}" for v in df[col]]))
    fig.update_layout(height=360, xaxis_title=x_title, **_LAYOUT)
    fig.update_xaxes(type="category")
    _money_axis(fig, "y", unit_title)
    return fig
