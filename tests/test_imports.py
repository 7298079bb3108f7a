"""Import hygiene: ``import deepcheap`` stays light, and the package's module-level imports form no cycle."""

import ast
import subprocess
import sys
from pathlib import Path

import deepcheap

SOURCE = Path(deepcheap.__file__).resolve().parent.parent  # the folder holding the deepcheap package


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.split()


def test_importing_deepcheap_imports_neither_the_claims_nor_numba_nor_torch():
    code = ("import sys, deepcheap; print('deepcheap.claims' in sys.modules, 'numba' in sys.modules, "
            "'torch' in sys.modules)")
    assert _run(code) == ["False", "False", "False"]


def test_compiling_imports_neither_the_claims_nor_numba():
    code = ("import sys, deepcheap; deepcheap.compile('x*y'); deepcheap.compile_boolean([0, 1, 1, 0]); "
            "print('deepcheap.claims' in sys.modules, 'numba' in sys.modules)")
    assert _run(code) == ["False", "False"]


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of ``package`` under ``root`` (a package is its __init__)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(name: str, path: Path, modules: dict[str, Path], package: str) -> set[str]:
    """The package's modules that ``name`` imports when it is loaded: statements run at import time (the
    module's body, if/try blocks; not function bodies, not ``if TYPE_CHECKING:``). ``from a import b`` is an
    edge to a.b when that is a module, else to a."""
    edges: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                edges.update(f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names)
            elif isinstance(node, ast.If):
                visit(node.orelse if _type_checking(node.test) else node.body + node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body + [s for h in node.handlers for s in h.body] + node.orelse + node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {e for e in edges if e in modules and e != name and e.split(".")[0] == package}


def import_cycles(root: Path, package: str) -> list[list[str]]:
    """Every cycle of module-level imports between the package's modules: the strongly connected components
    of two or more modules (Tarjan), each sorted by name."""
    modules = _modules(root, package)
    graph = {name: sorted(_module_level_imports(name, path, modules, package)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def connect(v: str) -> None:  # recursion depth <= number of modules
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return components


def test_the_cycle_finder_finds_a_planted_cycle(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from .. import c\n")
    (package / "c.py").write_text("import pkg.a\n\n\ndef later():\n    from pkg import d\n")
    (package / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
                                  "try:\n    import pkg.e\nexcept ImportError:\n    pass\n")
    (package / "e.py").write_text("def f():\n    import pkg.d\n")
    assert import_cycles(tmp_path, "pkg") == [["pkg.a", "pkg.c", "pkg.sub.b"]]  # not d (deferred, TYPE_CHECKING)


def test_deepcheap_has_no_import_cycle():
    cycles = import_cycles(SOURCE, "deepcheap")
    assert cycles == [], "module-level import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
