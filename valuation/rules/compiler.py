"""The safe rule-expression compiler (DESIGN.md §7).

An expression such as ``premium_ratio >= threshold and holder_type in ("soe",)`` is parsed with
:func:`ast.parse` and walked against a whitelist; each node becomes a small Python closure
over numpy arrays, so a compiled rule evaluates over one asset or a million at once. Nothing
from the user's text is ever passed to ``eval``, ``exec`` or ``compile``.

Whitelisted: names of declared facts and of the rule's own parameters, numeric / string /
boolean literals, tuples and lists of literals (for ``in``), comparisons (chained too),
``and`` / ``or`` / ``not``, + − * / and unary minus, ``x if c else y``, and the functions
abs, min, max, isnull, notnull, coalesce, clip. Missing facts (NaN) make comparisons False.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..core.errors import RuleCompileError

__all__ = ["CompiledExpr", "compile_expr", "FUNCTIONS"]

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]
MAX_LENGTH = 2000
MAX_NODES = 400


def _refuse(node: ast.AST | None, zh: str, en: str, expr: str) -> RuleCompileError:
    col = getattr(node, "col_offset", None)
    where_zh = f"（第 {col + 1} 个字符处）" if col is not None else ""
    where_en = f" (at character {col + 1})" if col is not None else ""
    return RuleCompileError(f"规则表达式被拒绝{where_zh}：{zh}。表达式：{expr}",
                            f"rule expression refused{where_en}: {en}. Expression: {expr}",
                            expression=expr)


def _num(x: Any) -> Any:
    return x


def _isnull(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "fc":
            return np.isnan(x)
        if x.dtype.kind == "O":
            return np.array([v is None or (isinstance(v, float) and v != v) for v in x], dtype=bool)
        return np.zeros(x.shape, bool)
    return x is None or (isinstance(x, float) and x != x)


def _coalesce(x: Any, default: Any) -> Any:
    n = _isnull(x)
    return np.where(n, default, x)


FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    # name: (min args, max args, implementation)
    "abs": (1, 1, np.abs),
    "min": (2, 8, lambda *a: np.minimum.reduce(np.broadcast_arrays(*[np.asarray(x, float) for x in a]))),
    "max": (2, 8, lambda *a: np.maximum.reduce(np.broadcast_arrays(*[np.asarray(x, float) for x in a]))),
    "isnull": (1, 1, _isnull),
    "notnull": (1, 1, lambda x: ~np.asarray(_isnull(x), bool)),
    "coalesce": (2, 2, _coalesce),
    "clip": (3, 3, lambda x, lo, hi: np.clip(np.asarray(x, float), lo, hi)),
}

_CMP = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
        ast.Gt: np.greater, ast.GtE: np.greater_equal}
_BIN = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


@dataclass(frozen=True)
class CompiledExpr:
    """A compiled rule condition: ``fn(env) -> bool array``; ``names`` are the facts it reads."""

    source: str
    names: frozenset[str]
    fn: Fn

    def __call__(self, env: Env, n: int | None = None) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = self.fn(env)
        arr = np.asarray(out)
        if arr.dtype != bool:
            arr = arr.astype(bool)
        if n is not None and arr.shape == ():
            arr = np.full(n, bool(arr))
        return arr


def compile_expr(expr: str, facts: Mapping[str, str], params: Mapping[str, Any] | None = None
                 ) -> CompiledExpr:
    """Compile ``expr`` against declared ``facts`` ({name: "number"|"bool"|"category"}) and
    constant ``params``. Raises :class:`RuleCompileError` with the reason when refused."""
    if not isinstance(expr, str) or not expr.strip():
        raise _refuse(None, "表达式为空", "the expression is empty", repr(expr))
    if len(expr) > MAX_LENGTH:
        raise _refuse(None, f"表达式过长（> {MAX_LENGTH} 个字符）", f"expression longer than {MAX_LENGTH} characters", expr[:80])
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise _refuse(None, f"语法错误：{e.msg}", f"syntax error: {e.msg}", expr) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise _refuse(None, "表达式过于复杂", "the expression is too complex", expr)
    params = dict(params or {})
    for k, v in params.items():
        if k in facts:
            raise _refuse(None, f"参数 {k} 与事实同名", f"parameter {k} shadows a fact", expr)
        if not isinstance(v, (int, float, str, bool)) and not (
                isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str, bool)) for x in v)):
            raise _refuse(None, f"参数 {k} 必须是数值、文本或其列表", f"parameter {k} must be a number, text or a list of them", expr)
    names: set[str] = set()
    comp = _Compiler(expr, facts, params, names)
    fn, kind = comp.visit(tree.body)
    if kind not in ("bool", "any"):
        raise _refuse(tree.body, "规则条件必须得到真/假（比较或逻辑运算）",
                      "a rule condition must evaluate to true/false (a comparison or a logical operation)", expr)
    return CompiledExpr(expr, frozenset(names), fn)


class _Compiler:
    def __init__(self, expr: str, facts: Mapping[str, str], params: Mapping[str, Any], names: set[str]):
        self.expr, self.facts, self.params, self.names = expr, facts, params, names

    def refuse(self, node: ast.AST, zh: str, en: str) -> RuleCompileError:
        return _refuse(node, zh, en, self.expr)

    def visit(self, node: ast.AST) -> tuple[Fn, str]:
        """Returns (closure, kind) with kind in number | text | bool | any | list."""
        m = getattr(self, "_" + type(node).__name__, None)
        if m is None:
            raise self.refuse(node, f"不允许的语法 {type(node).__name__}",
                              f"construct {type(node).__name__} is not allowed")
        return m(node)

    # -- leaves
    def _Constant(self, node: ast.Constant) -> tuple[Fn, str]:
        v = node.value
        if isinstance(v, bool):
            return (lambda env, v=v: v), "bool"
        if isinstance(v, (int, float)):
            return (lambda env, v=float(v): v), "number"
        if isinstance(v, str):
            return (lambda env, v=v: v), "text"
        raise self.refuse(node, f"不允许的常量 {v!r}", f"literal {v!r} is not allowed")

    def _Name(self, node: ast.Name) -> tuple[Fn, str]:
        n = node.id
        if n in ("True", "False"):
            return (lambda env, v=(n == "True"): v), "bool"
        if n in self.params:
            v = self.params[n]
            kind = "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else \
                "text" if isinstance(v, str) else "list"
            val = tuple(v) if isinstance(v, (list, tuple)) else v
            return (lambda env, v=val: v), kind
        if n not in self.facts:
            raise self.refuse(node, f"未知事实 {n!r}（可用事实见 valuation rules facts）",
                              f"unknown fact {n!r} (see the declared facts)")
        self.names.add(n)
        kind = {"number": "number", "bool": "bool", "category": "text"}.get(self.facts[n], "any")
        return (lambda env, n=n: env[n]), kind

    def _Tuple(self, node: ast.Tuple | ast.List) -> tuple[Fn, str]:
        vals = []
        for e in node.elts:
            if not isinstance(e, ast.Constant) or not isinstance(e.value, (int, float, str)) or isinstance(e.value, bool):
                raise self.refuse(e, "列表中只能是数值或文本常量", "lists may only hold number or text literals")
            vals.append(e.value)
        return (lambda env, v=tuple(vals): v), "list"

    _List = _Tuple

    # -- operators
    def _BoolOp(self, node: ast.BoolOp) -> tuple[Fn, str]:
        parts = [self._as_bool(v) for v in node.values]
        if isinstance(node.op, ast.And):
            def f(env: Env, parts=parts) -> Any:
                out = parts[0](env)
                for p in parts[1:]:
                    out = np.logical_and(out, p(env))
                return out
        else:
            def f(env: Env, parts=parts) -> Any:
                out = parts[0](env)
                for p in parts[1:]:
                    out = np.logical_or(out, p(env))
                return out
        return f, "bool"

    def _as_bool(self, node: ast.AST) -> Fn:
        fn, kind = self.visit(node)
        if kind not in ("bool", "any"):
            raise self.refuse(node, "逻辑运算的操作数必须是真/假", "operands of and/or/not must be true/false")
        return lambda env, fn=fn: np.asarray(fn(env)).astype(bool) if np.asarray(fn(env)).dtype != object \
            else np.array([bool(x) if x is not None and x == x else False for x in np.asarray(fn(env))])

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[Fn, str]:
        if isinstance(node.op, ast.Not):
            inner = self._as_bool(node.operand)
            return (lambda env: np.logical_not(inner(env))), "bool"
        if isinstance(node.op, ast.USub):
            fn, kind = self.visit(node.operand)
            self._need_number(node.operand, kind)
            return (lambda env: np.negative(np.asarray(fn(env), float))), "number"
        if isinstance(node.op, ast.UAdd):
            fn, kind = self.visit(node.operand)
            self._need_number(node.operand, kind)
            return fn, "number"
        raise self.refuse(node, "不允许的一元运算", "unary operator not allowed")

    def _need_number(self, node: ast.AST, kind: str) -> None:
        if kind not in ("number", "any", "bool"):
            raise self.refuse(node, "算术运算只能用于数值", "arithmetic needs numbers")

    def _BinOp(self, node: ast.BinOp) -> tuple[Fn, str]:
        op = _BIN.get(type(node.op))
        if op is None:
            raise self.refuse(node, f"不允许的运算符 {type(node.op).__name__}",
                              f"operator {type(node.op).__name__} is not allowed")
        lf, lk = self.visit(node.left)
        rf, rk = self.visit(node.right)
        self._need_number(node.left, lk)
        self._need_number(node.right, rk)
        return (lambda env: op(np.asarray(lf(env), float), np.asarray(rf(env), float))), "number"

    def _Compare(self, node: ast.Compare) -> tuple[Fn, str]:
        left = self.visit(node.left)
        pieces = []
        cur = left
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            pieces.append(self._cmp(node, op, cur, right, right_node))
            cur = right

        def f(env: Env) -> Any:
            out = pieces[0](env)
            for p in pieces[1:]:
                out = np.logical_and(out, p(env))
            return out
        return f, "bool"

    def _cmp(self, node: ast.AST, op: ast.cmpop, left: tuple[Fn, str], right: tuple[Fn, str],
             right_node: ast.AST) -> Fn:
        (lf, lk), (rf, rk) = left, right
        if isinstance(op, (ast.In, ast.NotIn)):
            if rk != "list":
                raise self.refuse(right_node, "in 的右侧必须是常量列表，如 (\"a\", \"b\")",
                                  "the right side of 'in' must be a literal list such as (\"a\", \"b\")")
            neg = isinstance(op, ast.NotIn)

            def f(env: Env) -> Any:
                x = lf(env)
                vals = list(rf(env))
                # hash-based membership (pandas) instead of numpy's sort-based isin on objects
                r = pd.Series(x, dtype=object, copy=False).isin(vals).to_numpy() if isinstance(x, np.ndarray) else (x in vals)
                return np.logical_not(r) if neg else r
            return f
        fn = _CMP.get(type(op))
        if fn is None:
            raise self.refuse(node, f"不允许的比较 {type(op).__name__}", f"comparison {type(op).__name__} is not allowed")
        if {lk, rk} == {"text", "number"}:
            raise self.refuse(node, "不能把文本与数值比较", "cannot compare text with a number")
        if "text" in (lk, rk):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                raise self.refuse(node, "文本只能用 == 或 != 比较", "text can only be compared with == or !=")

            def ft(env: Env) -> Any:
                a, b = lf(env), rf(env)
                a = np.asarray(a, dtype=object) if isinstance(a, np.ndarray) else a
                b = np.asarray(b, dtype=object) if isinstance(b, np.ndarray) else b
                eq = np.asarray(a == b) if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) \
                    else np.equal(a, b)
                eq = np.asarray(eq, dtype=bool)
                return eq if isinstance(op, ast.Eq) else np.logical_not(eq)
            return ft

        def fnum(env: Env) -> Any:
            with np.errstate(invalid="ignore"):
                return fn(np.asarray(lf(env), float), np.asarray(rf(env), float))
        return fnum

    def _IfExp(self, node: ast.IfExp) -> tuple[Fn, str]:
        c = self._as_bool(node.test)
        a, ak = self.visit(node.body)
        b, bk = self.visit(node.orelse)
        return (lambda env: np.where(c(env), a(env), b(env))), ak if ak == bk else "any"

    def _Call(self, node: ast.Call) -> tuple[Fn, str]:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node, "只允许调用白名单函数（不允许属性或方法调用）",
                              "only whitelisted functions may be called (no attribute or method calls)")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node, f"函数 {name!r} 不在白名单中（允许：{', '.join(FUNCTIONS)}）",
                              f"function {name!r} is not whitelisted (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords:
            raise self.refuse(node, "不允许关键字参数", "keyword arguments are not allowed")
        lo, hi, impl = FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            raise self.refuse(node, f"函数 {name} 需要 {lo}–{hi} 个参数", f"function {name} takes {lo}–{hi} arguments")
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.refuse(a, "不允许 * 展开", "starred arguments are not allowed")
            args.append(self.visit(a)[0])
        kind = "bool" if name in ("isnull", "notnull") else "number"
        return (lambda env: impl(*[f(env) for f in args])), kind
