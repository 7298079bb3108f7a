"""Read a polynomial written as text, without running any of it.

>>> read_expression("(x + y)^2 - 3*x/4")
-3*x/4 + (x + y)**2
>>> read_expression("__import__('os').system('ls')")
Traceback (most recent call last):
...
deepcheap.errors.NotAPolynomialError: could not read ...: a function call ... is not allowed; ...

The text is lexed by :mod:`tokenize` and parsed by :func:`ast.parse` (``mode="eval"``); nothing is ever
evaluated by Python. The tree is walked against a whitelist and the sympy expression is built node by node:

- numbers: int and float literals (not bool, complex, strings or bytes);
- names: plain identifiers, each a variable; names starting with ``_`` are refused, and so are sympy's
  constants (``I E pi oo zoo nan inf``), which would be ambiguous;
- unary ``+``/``-``; binary ``+ - * / **`` and ``^`` (power, with the precedence of ``**``); parentheses;
- division only by a nonzero constant; constant powers of constants only while the result stays small.

Limits are checked before the work they protect: the length before lexing, the bracket nesting before
parsing (what :func:`ast.parse` raises on deep input becomes the project's error), the size of constant
powers before computing them. Degree and the size of an expansion are checked by
:mod:`~deepcheap.compiler.expansion` before anything is expanded. Top-level sums are split before parsing,
so a sum of any number of terms reads in linear time (Python's parser recurses on long chains).
"""

from __future__ import annotations

import ast
import io
import math
import tokenize

import sympy as sp

from deepcheap.errors import InvalidArgumentError, NotAPolynomialError, ResourceLimitError

MAX_EXPRESSION_CHARS = 200_000  # str(library.ising_2d(64)) is ~150k; larger ones: pass sympy or a Polynomial
MAX_NESTING = 100  # brackets; Python's own parser stops at 200
MAX_NUMBER_BITS = 4096  # a constant power may reach about 2^4096 (1e1233) before it is refused
RESERVED = frozenset({"I", "E", "pi", "oo", "zoo", "nan", "inf"})  # sympy's constants: ambiguous as variables

_SYNTAX = "write a polynomial with numbers, variable names, + - * / ** (or ^) and parentheses, e.g. 'x**2 + 3*x*y - 1'"
_SEPARATORS = {"\n": " ", "\r": " ", "\t": " ", "\f": " ", "\v": " "}
_REFUSED = {
    ast.Call: "a function call", ast.Attribute: "attribute access", ast.Subscript: "indexing",
    ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string", ast.Compare: "a comparison", ast.BoolOp: "and/or",
    ast.IfExp: "an if-expression", ast.NamedExpr: "an assignment (:=)", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Starred: "a starred expression", ast.List: "a list",
    ast.Tuple: "a tuple", ast.Set: "a set", ast.Dict: "a dict", ast.Slice: "a slice",
}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def read_expression(text: str) -> sp.Expr:
    """The sympy expression of ``text`` (see the module docstring for what is accepted)."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"read_expression takes a string; got {type(text).__name__}.")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ResourceLimitError(
            f"the expression has {len(text):,} characters, above the limit of {MAX_EXPRESSION_CHARS:,}; pass a "
            "sympy expression or a deepcheap Polynomial for larger polynomials (e.g. deepcheap.library.ising_2d).")
    text = text.translate(str.maketrans(_SEPARATORS))
    _check_nesting(text)
    terms = [(sign, _read_term(source, text)) for sign, source in _split_sum(text)]
    if not terms:
        raise NotAPolynomialError(f"the expression {_quote(text)} is empty; {_SYNTAX}.")
    return sp.Add(*[term if sign > 0 else -term for sign, term in terms])


def _quote(text: str, limit: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _check_nesting(text: str) -> None:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ResourceLimitError(f"the expression nests {deepest} brackets deep, above the limit of {MAX_NESTING}; "
                                 "expand part of it first (sympy.expand) or pass a sympy expression.")


def _split_sum(text: str) -> list[tuple[int, str]]:
    """Signed top-level terms as source strings (binary + and - outside brackets), with ^ read as **."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                    tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError) as err:  # IndentationError is a SyntaxError
        raise NotAPolynomialError(f"could not read {_quote(text)} ({_reason(err)}); {_SYNTAX}.") from None
    terms: list[tuple[int, str]] = []
    sign, pieces, depth, previous = 1, [], 0, None
    for token in tokens:
        kind, string = token.type, token.string
        if kind == tokenize.OP and string in "([{":
            depth += 1
        elif kind == tokenize.OP and string in ")]}":
            depth -= 1
        binary = previous is not None and (previous.type in (tokenize.NAME, tokenize.NUMBER)
                                           or previous.string in (")", "]", "}"))
        if kind == tokenize.OP and string in "+-" and depth == 0 and binary:
            terms.append((sign, " ".join(pieces)))
            sign, pieces = (1 if string == "+" else -1), []
        else:
            pieces.append("**" if kind == tokenize.OP and string == "^" else string)
        previous = token
    if pieces or terms:
        terms.append((sign, " ".join(pieces)))
    return terms


def _reason(err: BaseException) -> str:
    message = getattr(err, "msg", None) or (err.args[0] if err.args and isinstance(err.args[0], str) else "")
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _read_term(source: str, whole: str) -> sp.Expr:
    if not source.strip():
        raise NotAPolynomialError(f"could not read {_quote(whole)}: a + or - has nothing after it; {_SYNTAX}.")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError) as err:  # ValueError: null bytes, integer literals over 4300 digits
        raise NotAPolynomialError(f"could not read {_quote(whole)} ({_reason(err)}); {_SYNTAX}.") from None
    except (RecursionError, MemoryError):
        raise ResourceLimitError(f"the term {_quote(source)} is too deeply nested for the reader (a long chain "
                                 "of products, powers or signs); pass a sympy expression or split it.") from None
    return _Builder(whole).build(tree.body)


class _Builder:
    """Post-order walk of an ``ast`` expression (iterative: no recursion on deep trees) into sympy.

    Chains of + and - (and of * and /) become one sp.Add (sp.Mul) of all their operands, so a long sum in
    brackets costs linear, not quadratic, time.
    """

    def __init__(self, whole: str):
        self.whole = whole
        self.chains: dict[int, list[tuple[bool, ast.expr]]] = {}

    def refuse(self, node: ast.AST, what: str) -> NotAPolynomialError:
        return NotAPolynomialError(f"could not read {_quote(self.whole)}: {what} ({_quote(ast.unparse(node), 40)}) "
                                   f"is not allowed; {_SYNTAX}.")

    def build(self, root: ast.expr) -> sp.Expr:
        values: dict[int, sp.Expr] = {}
        stack: list[tuple[ast.expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            children = self.children(node)
            if not ready and children:
                stack.append((node, True))
                stack.extend((child, False) for child in children)
                continue
            values[id(node)] = self.make(node, [values.pop(id(child)) for child in children])
        return values[id(root)]

    def children(self, node: ast.expr) -> list[ast.expr]:
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.refuse(node, f"the operator {type(node.op).__name__}")
            if isinstance(node.op, ast.Pow):
                return [node.left, node.right]
            if id(node) not in self.chains:
                self.chains[id(node)] = _chain(node)
            return [operand for _, operand in self.chains[id(node)]]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.UAdd | ast.USub):
                raise self.refuse(node, "the operator " + ("'not'" if isinstance(node.op, ast.Not) else "'~'"))
            return [node.operand]
        if isinstance(node, ast.Constant | ast.Name):
            return []
        raise self.refuse(node, _REFUSED.get(type(node), f"a {type(node).__name__} expression"))

    def make(self, node: ast.expr, args: list[sp.Expr]) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise NotAPolynomialError(f"could not read {_quote(self.whole)}: the name {node.id!r} starts with "
                                          "'_'; variable names must start with a letter (e.g. x, s_1, phi_03).")
            if node.id in RESERVED:
                raise NotAPolynomialError(f"could not read {_quote(self.whole)}: {node.id!r} is reserved (sympy "
                                          "reads it as a constant); write the number itself, or name the "
                                          "variable differently.")
            return sp.Symbol(node.id)
        if isinstance(node, ast.UnaryOp):
            return -args[0] if isinstance(node.op, ast.USub) else args[0]
        if isinstance(node.op, ast.Pow):
            return self.power(node, *args)
        flags = [inverted for inverted, _ in self.chains.pop(id(node))]
        if isinstance(node.op, ast.Add | ast.Sub):
            return sp.Add(*[-a if negative else a for negative, a in zip(flags, args, strict=True)])
        return sp.Mul(*[self.reciprocal(node, a) if divide else a for divide, a in zip(flags, args, strict=True)])

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = {bool: "a Boolean", complex: "a complex number", str: "a string", bytes: "bytes"}.get(
                type(value), f"the constant {value!r}")
            raise self.refuse(node, kind)
        if isinstance(value, int):
            return sp.Integer(value)
        if not math.isfinite(value):
            raise InvalidArgumentError(f"could not read {_quote(self.whole)}: a number in it is beyond the float64 "
                                       "range (|x| < 1.8e308); coefficients must be finite.")
        return sp.Float(value)

    def reciprocal(self, node: ast.BinOp, denominator: sp.Expr) -> sp.Expr:
        shown = _quote(ast.unparse(node), 40)
        if denominator.free_symbols:
            raise NotAPolynomialError(f"could not read {_quote(self.whole)}: {shown} divides by a variable; a "
                                      "polynomial divides only by nonzero constants.")
        if denominator.is_zero or (denominator.is_Number and float(denominator) == 0.0):
            raise InvalidArgumentError(f"could not read {_quote(self.whole)}: {shown} divides by zero.")
        return sp.Pow(denominator, -1)

    def power(self, node: ast.BinOp, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        shown = _quote(ast.unparse(node), 40)
        if exponent.free_symbols:
            raise NotAPolynomialError(f"could not read {_quote(self.whole)}: in {shown} the power depends on a "
                                      "variable; a polynomial has non-negative integer powers.")
        if base.free_symbols:
            if not (exponent.is_Integer and exponent >= 0):
                raise NotAPolynomialError(f"could not read {_quote(self.whole)}: in {shown} the power {exponent} is "
                                          "not a non-negative integer; a polynomial has non-negative integer powers.")
            return sp.Pow(base, exponent)
        bits = _power_bits(base, exponent)
        if bits > MAX_NUMBER_BITS:
            raise ResourceLimitError(f"could not read {_quote(self.whole)}: the constant {shown} is about "
                                     f"2^{bits:.3g}, beyond the {MAX_NUMBER_BITS}-bit limit on constants (float64 "
                                     "coefficients stop at 1.8e308).")
        if base.is_zero and exponent.is_negative:
            raise InvalidArgumentError(f"could not read {_quote(self.whole)}: {shown} divides by zero.")
        return sp.Pow(base, exponent)


def _chain(node: ast.BinOp) -> list[tuple[bool, ast.expr]]:
    """The operands of a left-nested chain of + and - (or * and /), each with 'negated' ('divided')."""
    additive = isinstance(node.op, ast.Add | ast.Sub)
    family = (ast.Add, ast.Sub) if additive else (ast.Mult, ast.Div)
    inverse = ast.Sub if additive else ast.Div
    operands: list[tuple[bool, ast.expr]] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, family):
        operands.append((isinstance(node.op, inverse), node.right))
        node = node.left
    operands.append((False, node))
    return operands[::-1]


def _power_bits(base: sp.Expr, exponent: sp.Expr) -> float:
    """An upper bound on the bits of base**exponent (numerator or denominator), without computing it."""
    try:
        e = abs(float(exponent))
    except (TypeError, ValueError):
        return math.inf
    if base.is_Rational:
        p, q = abs(int(base.p)), int(base.q)
        size = max(p.bit_length(), q.bit_length())
    else:
        try:
            magnitude = abs(complex(sp.N(base)))
        except (TypeError, ValueError):
            return math.inf
        size = abs(math.log2(magnitude)) + 1 if magnitude > 0 else 1
    return e * size if e > 0 else 0.0
