"""The safe rule-expression compiler (docs/DESIGN.md §7).

An expression such as ``premium_ratio >= threshold and holder_type in ("soe",)`` is parsed
with ``ast.parse(expr, mode="eval")`` and walked against a whitelist; each node becomes a
small Python closure over numpy arrays, so a compiled rule evaluates over one asset or a
million at once. Nothing from the user's text is ever passed to ``eval``, ``exec`` or
``compile``, and no code object is built from it: the only things that run are the closures
below, chosen by node type.

Whitelist
---------
* names of declared facts (:data:`valuation.rules.facts.FACTS`) and of the rule's own
  ``params`` (constants: numbers, text, booleans or lists of them);
* number, text and boolean literals; tuples / lists of number or text literals (for ``in``);
* comparisons ``== != < <= > >=`` (chained too: ``0 < x <= 1``), ``in`` / ``not in`` a
  literal list or a list parameter;
* ``and`` / ``or`` / ``not``; ``+ - * /`` and unary minus; ``x if c else y``;
* the functions ``abs``, ``min``, ``max`` (element-wise, 2–8 arguments), ``isnull`` /
  ``isnan``, ``notnull``, ``coalesce(x, default)``, ``clip(x, low, high)``.

Everything else is refused with a :class:`~valuation.core.errors.RuleCompileError` whose
Chinese and English message names the construct and its position: attribute access,
subscripts, calls outside the whitelist (``__import__``, ``open``, ``eval`` …), lambdas,
comprehensions, f-strings, starred arguments, keyword arguments, ``:=``, ``**``, ``%``,
``None``, unknown names, and the type errors that can be seen before evaluation (text
compared with a number or a boolean, ordering of text, arithmetic on text, a list of text
for a numeric fact).

Missing values
--------------
A missing number is NaN, a missing category is ``""``. Every comparison involving NaN is
**False** (so ``x > 1`` and ``not (x <= 1)`` differ on a missing ``x`` — write
``isnull(x) or x > 1`` to flag missing values). ``isnull`` is true for NaN and for ``""``.
Division by zero gives ±inf or NaN without warnings.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.errors import RuleCompileError
from .runtime import (  # noqa: F401 - FUNCTIONS: its import path before the split
    _BIN,
    _CMP,
    FUNCTIONS,
    CompiledExpr,
    Env,
    Fn,
    _as_float,
    _isnull,
    _truth,
    text_equal,
    text_member,
    text_missing,
)
from .templates import literal_problem

__all__ = ["CompiledExpr", "compile_expr", "FUNCTIONS", "MAX_LENGTH", "MAX_NODES"]

MAX_LENGTH = 2000
MAX_NODES = 400

# kinds of values inside the compiler
NUMBER, TEXT, BOOL, LIST, ANY = "number", "text", "bool", "list", "any"
_FACT_KIND = {"number": NUMBER, "bool": BOOL, "category": TEXT}
_NUMERIC = (NUMBER, BOOL, ANY)


def _where(node: ast.AST | None) -> tuple[str, str]:
    col = getattr(node, "col_offset", None)
    if col is None:
        return "", ""
    line = getattr(node, "lineno", 1) or 1
    if line > 1:
        return f"（第 {line} 行第 {col + 1} 个字符处）", f" (line {line}, character {col + 1})"
    return f"（第 {col + 1} 个字符处）", f" (at character {col + 1})"


def _refuse(node: ast.AST | None, zh: str, en: str, expr: str) -> RuleCompileError:
    wz, we = _where(node)
    shown = expr if len(expr) <= 200 else expr[:200] + "…"
    return RuleCompileError(f"规则表达式被拒绝{wz}：{zh}。表达式：{shown}",
                            f"rule expression refused{we}: {en}. Expression: {shown}",
                            expression=shown, construct=type(node).__name__ if node is not None else None,
                            position=(getattr(node, "col_offset", -1) + 1) if node is not None else None)


_OP_TEXT = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "Mod": "%", "Pow": "**", "FloorDiv": "//",
            "MatMult": "@", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "LShift": "<<", "RShift": ">>",
            "Is": "is", "IsNot": "is not", "Invert": "~"}
# friendly names of refused constructs
_CONSTRUCT = {
    "Attribute": ("属性访问（如 x.y）", "attribute access (x.y)"),
    "Subscript": ("下标或切片（如 x[0]）", "subscript or slice (x[0])"),
    "Lambda": ("lambda 函数", "lambda"),
    "ListComp": ("列表推导式", "list comprehension"),
    "SetComp": ("集合推导式", "set comprehension"),
    "DictComp": ("字典推导式", "dict comprehension"),
    "GeneratorExp": ("生成器表达式", "generator expression"),
    "JoinedStr": ("f-字符串", "f-string (JoinedStr)"),
    "FormattedValue": ("f-字符串", "f-string (FormattedValue)"),
    "NamedExpr": ("海象赋值 :=", "assignment expression := (NamedExpr)"),
    "Starred": ("* 展开", "starred expression"),
    "Dict": ("字典", "dict literal"),
    "Set": ("集合", "set literal"),
    "Await": ("await", "await"),
    "Yield": ("yield", "yield"),
    "YieldFrom": ("yield from", "yield from"),
    "Slice": ("切片", "slice"),
}


def compile_expr(expr: str, facts: Mapping[str, str], params: Mapping[str, Any] | None = None
                 ) -> CompiledExpr:
    """Compile ``expr`` against declared ``facts`` (``{name: "number" | "bool" | "category"}``)
    and constant ``params``.

    Returns a :class:`CompiledExpr`; raises :class:`RuleCompileError` with the reason (in
    Chinese and English, naming the construct and its position) when refused. The result
    of a condition must be true/false (a comparison, a logical operation, a boolean fact
    or ``isnull``).
    """
    if not isinstance(expr, str) or not expr.strip():
        raise _refuse(None, "表达式为空", "the expression is empty", repr(expr))
    if len(expr) > MAX_LENGTH:
        raise _refuse(None, f"表达式过长（> {MAX_LENGTH} 个字符）",
                      f"expression longer than {MAX_LENGTH} characters", expr[:80])
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise _refuse(None, f"语法错误：{e.msg}（第 {e.offset} 个字符附近）",
                      f"syntax error: {e.msg} (near character {e.offset})", expr) from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
        raise _refuse(None, f"无法解析：{type(e).__name__}", f"cannot be parsed: {type(e).__name__}",
                      expr) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise _refuse(None, "表达式过于复杂", "the expression is too complex", expr)
    for node in nodes:              # 1e999, a 310-digit literal: refused, not a traceback
        why = isinstance(node, ast.Constant) and literal_problem(node.value)
        if why:
            raise _refuse(node, why[0], why[1], expr)
    params = dict(params or {})
    for k, v in params.items():
        if not isinstance(k, str) or not k.isidentifier() or k.startswith("_"):
            raise _refuse(None, f"参数名 {k!r} 无效", f"invalid parameter name {k!r}", expr)
        if k in facts:
            raise _refuse(None, f"参数 {k} 与事实同名", f"parameter {k} shadows a fact", expr)
        if k in FUNCTIONS:
            raise _refuse(None, f"参数 {k} 与函数同名", f"parameter {k} shadows a function", expr)
        if not _is_scalar(v) and not (isinstance(v, (list, tuple)) and v and all(_is_scalar(x) for x in v)):
            raise _refuse(None, f"参数 {k} 必须是数值、文本、真假值或其非空列表",
                          f"parameter {k} must be a number, text, boolean or a non-empty list of them", expr)
        why = next(filter(None, map(literal_problem, v if isinstance(v, (list, tuple)) else [v])), None)
        if why:
            raise _refuse(None, f"参数 {k}：{why[0]}", f"parameter {k}: {why[1]}", expr)
    names: set[str] = set()
    comp = _Compiler(expr, facts, params, names)
    fn, kind = comp.visit(tree.body)
    if kind != BOOL:
        raise _refuse(tree.body, "规则条件必须得到真/假（比较、逻辑运算、布尔事实或 isnull）",
                      "a rule condition must evaluate to true/false (a comparison, a logical operation, "
                      "a boolean fact or isnull)", expr)
    return CompiledExpr(expr, frozenset(names), fn, {k: facts[k] for k in names})


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (bool, int, float, str)) and not (isinstance(v, float) and v != v)


class _Compiler:
    """Turns whitelisted AST nodes into closures ``env -> array``; anything else is refused."""

    def __init__(self, expr: str, facts: Mapping[str, str], params: Mapping[str, Any], names: set[str]):
        self.expr, self.facts, self.params, self.names = expr, facts, params, names

    def refuse(self, node: ast.AST, zh: str, en: str) -> RuleCompileError:
        return _refuse(node, zh, en, self.expr)

    def visit(self, node: ast.AST) -> tuple[Fn, str]:
        """Returns (closure, kind) with kind in number | text | bool | list | any."""
        name = type(node).__name__
        m = getattr(self, "_" + name, None)
        if m is None:
            zh, en = _CONSTRUCT.get(name, (name, name))
            raise self.refuse(node, f"不允许的语法：{zh}（{name}）", f"construct {en} is not allowed ({name})")
        return m(node)

    # ------------------------------------------------------------------ leaves
    def _Constant(self, node: ast.Constant) -> tuple[Fn, str]:
        v = node.value
        if isinstance(v, bool):
            return (lambda env, v=v: v), BOOL
        if isinstance(v, (int, float)) and not isinstance(v, complex):
            return (lambda env, v=float(v): v), NUMBER
        if isinstance(v, str):
            return (lambda env, v=v: v), TEXT
        raise self.refuse(node, f"不允许的常量 {v!r}", f"literal {v!r} is not allowed")

    def _Name(self, node: ast.Name) -> tuple[Fn, str]:
        n = node.id
        if n in self.params:
            v = self.params[n]
            if isinstance(v, (list, tuple)):
                return (lambda env, v=tuple(v): v), LIST
            kind = BOOL if isinstance(v, bool) else NUMBER if isinstance(v, (int, float)) else TEXT
            val = float(v) if kind == NUMBER else v
            return (lambda env, v=val: v), kind
        if n not in self.facts:
            if n in FUNCTIONS:
                raise self.refuse(node, f"函数 {n} 只能被调用", f"function {n} can only be called")
            raise self.refuse(node, f"未知事实 {n!r}（可用事实见 `valuation rules facts`）",
                              f"unknown fact {n!r} (see `valuation rules facts`)")
        self.names.add(n)
        kind = _FACT_KIND.get(self.facts[n], ANY)
        return (lambda env, n=n: env[n]), kind

    def _Tuple(self, node: ast.Tuple | ast.List) -> tuple[Fn, str]:
        vals = []
        for e in node.elts:
            if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) \
                    and isinstance(e.operand.value, (int, float)) and not isinstance(e.operand.value, bool):
                vals.append(-float(e.operand.value))
                continue
            if not isinstance(e, ast.Constant) or not isinstance(e.value, (int, float, str)) \
                    or isinstance(e.value, bool):
                raise self.refuse(e, "列表中只能是数值或文本常量", "lists may only hold number or text literals")
            vals.append(float(e.value) if not isinstance(e.value, str) else e.value)
        if not vals:
            raise self.refuse(node, "列表不能为空", "the list must not be empty")
        return (lambda env, v=tuple(vals): v), LIST

    _List = _Tuple

    # ------------------------------------------------------------------ logic
    def _as_bool(self, node: ast.AST) -> Fn:
        fn, kind = self.visit(node)
        if kind != BOOL:
            raise self.refuse(node, "and / or / not / if 的条件必须是真/假（比较、布尔事实或 isnull）",
                              "operands of and/or/not and conditions of 'if' must be true/false "
                              "(a comparison, a boolean fact or isnull)")

        def f(env: Env, fn=fn) -> Any:
            return _truth(fn(env))
        return f

    def _BoolOp(self, node: ast.BoolOp) -> tuple[Fn, str]:
        parts = [self._as_bool(v) for v in node.values]
        op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def f(env: Env, parts=parts, op=op) -> Any:
            out = parts[0](env)
            for p in parts[1:]:
                out = op(out, p(env))
            return out
        return f, BOOL

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[Fn, str]:
        if isinstance(node.op, ast.Not):
            inner = self._as_bool(node.operand)
            return (lambda env: np.logical_not(inner(env))), BOOL
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            fn, kind = self.visit(node.operand)
            self._need_number(node.operand, kind, "-" if isinstance(node.op, ast.USub) else "+")
            if isinstance(node.op, ast.USub):
                return (lambda env: np.negative(_as_float(fn(env)))), NUMBER
            return (lambda env: _as_float(fn(env))), NUMBER
        op = _OP_TEXT.get(type(node.op).__name__, type(node.op).__name__)
        raise self.refuse(node, f"不允许的一元运算 {op}", f"unary operator {op} is not allowed")

    # ------------------------------------------------------------------ arithmetic
    def _need_number(self, node: ast.AST, kind: str, op: str) -> None:
        if kind not in _NUMERIC:
            raise self.refuse(node, f"运算 {op} 只能用于数值（不能用于文本或列表）",
                              f"operator {op} needs numbers (not text or lists)")

    def _BinOp(self, node: ast.BinOp) -> tuple[Fn, str]:
        name = type(node.op).__name__
        op = _BIN.get(type(node.op))
        if op is None:
            sym = _OP_TEXT.get(name, name)
            raise self.refuse(node, f"不允许的运算符 {sym}（{name}）；只允许 + - * /",
                              f"operator {sym} ({name}) is not allowed; only + - * /")
        sym = _OP_TEXT[name]
        lf, lk = self.visit(node.left)
        rf, rk = self.visit(node.right)
        self._need_number(node.left, lk, sym)
        self._need_number(node.right, rk, sym)
        return (lambda env: op(_as_float(lf(env)), _as_float(rf(env)))), NUMBER

    # ------------------------------------------------------------------ comparisons
    def _Compare(self, node: ast.Compare) -> tuple[Fn, str]:
        cur = self.visit(node.left)
        if cur[1] == LIST:
            raise self.refuse(node.left, "列表只能出现在 in 的右侧", "a list may only stand on the right of 'in'")
        pieces = []
        for op, right_node in zip(node.ops, node.comparators):
            right = self.visit(right_node)
            pieces.append(self._cmp(node, op, cur, right, right_node))
            cur = right

        def f(env: Env) -> Any:
            out = pieces[0](env)
            for p in pieces[1:]:
                out = np.logical_and(out, p(env))
            return out
        return f, BOOL

    def _cmp(self, node: ast.AST, op: ast.cmpop, left: tuple[Fn, str], right: tuple[Fn, str],
             right_node: ast.AST) -> Fn:
        (lf, lk), (rf, rk) = left, right
        if isinstance(op, (ast.In, ast.NotIn)):
            return self._in(op, lf, lk, rf, rk, right_node)
        if rk == LIST:
            raise self.refuse(right_node, "列表只能出现在 in 的右侧", "a list may only stand on the right of 'in'")
        fn = _CMP.get(type(op))
        if fn is None:
            sym = _OP_TEXT.get(type(op).__name__, type(op).__name__)
            raise self.refuse(node, f"不允许的比较 {sym}", f"comparison '{sym}' is not allowed")
        if (lk == TEXT) != (rk == TEXT) and ANY not in (lk, rk):
            other = {NUMBER: ("数值", "a number"), BOOL: ("真假值", "a boolean")}[rk if lk == TEXT else lk]
            raise self.refuse(node, f"不能把文本与{other[0]}比较", f"cannot compare text with {other[1]}")
        if TEXT in (lk, rk):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                raise self.refuse(node, "文本只能用 == 或 != 比较", "text can only be compared with == or !=")
            neg = isinstance(op, ast.NotEq)

            def ft(env: Env) -> Any:
                a, b = lf(env), rf(env)
                if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
                    eq = np.equal(np.asarray(a, object), np.asarray(b, object)).astype(bool)
                elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                    arr, other = (a, b) if isinstance(a, np.ndarray) else (b, a)
                    eq = text_equal(arr, other)
                else:
                    eq = np.bool_(a == b)
                if not neg:
                    return eq
                return np.logical_not(eq) & ~_isnull(np.asarray(a, object)) & ~_isnull(np.asarray(b, object))
            return ft

        def fnum(env: Env) -> Any:
            return fn(_as_float(lf(env)), _as_float(rf(env)))  # NaN compares False (!= True)
        if isinstance(op, ast.NotEq):
            def fne(env: Env) -> Any:  # a missing value is not "different" either
                a, b = _as_float(lf(env)), _as_float(rf(env))
                return np.not_equal(a, b) & ~np.isnan(a) & ~np.isnan(b)
            return fne
        return fnum

    def _in(self, op: ast.cmpop, lf: Fn, lk: str, rf: Fn, rk: str, right_node: ast.AST) -> Fn:
        if rk != LIST:
            raise self.refuse(right_node, "in 的右侧必须是常量列表，如 (\"a\", \"b\")",
                              "the right side of 'in' must be a literal list such as (\"a\", \"b\")")
        neg = isinstance(op, ast.NotIn)
        vals = rf({})
        texts = all(isinstance(v, str) for v in vals)
        nums = all(not isinstance(v, str) for v in vals)
        if not (texts or nums):
            raise self.refuse(right_node, "列表不能混合文本与数值", "a list may not mix text and numbers")
        if lk == TEXT and nums or lk in (NUMBER, BOOL) and texts:
            raise self.refuse(right_node, "in 两侧类型不一致（文本与数值）",
                              "the two sides of 'in' differ in type (text and numbers)")
        if lk == LIST:
            raise self.refuse(right_node, "in 的左侧不能是列表", "the left side of 'in' cannot be a list")
        if nums:
            arr_vals = np.asarray(vals, float)

            def fn_num(env: Env) -> Any:
                x = _as_float(lf(env))
                r = np.isin(x, arr_vals)
                return np.logical_not(r) & ~np.isnan(x) if neg else r
            return fn_num
        sval = list(dict.fromkeys(vals))

        def fn_txt(env: Env) -> Any:
            x = lf(env)
            if isinstance(x, np.ndarray):
                r = text_member(x, sval)
                miss = text_missing(x)
            else:
                r = np.bool_(x in sval)
                miss = np.bool_(x is None or x == "" or (isinstance(x, float) and x != x))
            return np.logical_not(r) & ~miss if neg else r
        return fn_txt

    # ------------------------------------------------------------------ conditional, calls
    def _IfExp(self, node: ast.IfExp) -> tuple[Fn, str]:
        c = self._as_bool(node.test)
        a, ak = self.visit(node.body)
        b, bk = self.visit(node.orelse)
        if LIST in (ak, bk):
            raise self.refuse(node, "条件表达式的分支不能是列表", "the branches of 'x if c else y' cannot be lists")
        if ak == bk:
            kind = ak
        elif ak in _NUMERIC and bk in _NUMERIC:
            kind = NUMBER
        else:
            raise self.refuse(node, "条件表达式两个分支的类型必须一致", "both branches of 'x if c else y' must have the same type")
        if kind == TEXT:
            return (lambda env: np.where(c(env), np.asarray(a(env), object), np.asarray(b(env), object))), TEXT
        if kind == BOOL:
            return (lambda env: np.where(c(env), _truth(a(env)), _truth(b(env)))), BOOL
        return (lambda env: np.where(c(env), _as_float(a(env)), _as_float(b(env)))), NUMBER

    def _Call(self, node: ast.Call) -> tuple[Fn, str]:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node, "只允许调用白名单函数（不允许属性或方法调用）",
                              "only whitelisted functions may be called (no attribute or method calls)")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node, f"函数 {name!r} 不在白名单中（允许：{', '.join(FUNCTIONS)}）",
                              f"function {name!r} is not whitelisted (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords:
            raise self.refuse(node.keywords[0].value, "不允许关键字参数", "keyword arguments are not allowed")
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.refuse(a, "不允许 * 展开", "starred arguments are not allowed")
        lo, hi, impl = FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            raise self.refuse(node, f"函数 {name} 需要 {lo}–{hi} 个参数", f"function {name} takes {lo}–{hi} arguments")
        compiled = [self.visit(a) for a in node.args]
        for a, (_, k) in zip(node.args, compiled):
            if k == LIST:
                raise self.refuse(a, "函数参数不能是列表", "function arguments cannot be lists")
        kinds = [k for _, k in compiled]
        if name in ("isnull", "isnan", "notnull"):
            kind = BOOL
        elif name == "coalesce":
            if (kinds[0] == TEXT) != (kinds[1] == TEXT) and ANY not in kinds:
                raise self.refuse(node, "coalesce 的两个参数类型必须一致", "both arguments of coalesce must have the same type")
            kind = kinds[0] if kinds[0] != ANY else kinds[1]
        else:
            for a, k in zip(node.args, kinds):
                self._need_number(a, k, name)
            kind = NUMBER
        fns = [f for f, _ in compiled]
        return (lambda env: impl(*[f(env) for f in fns])), kind
