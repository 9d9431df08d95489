"""No user input reaches SQL except as a bound parameter: checked on the source itself, for every statement.

Every `execute`/`sql`/`query` call in the application must take its SQL from a literal or from a module constant (or
a value drawn from one), never from an f-string, `.format`, `%` or any other call that could splice a value in; and
pages may only name queries of `sti.queries` by literal.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sti import settings

SQL_METHODS = {"execute", "executemany", "sql", "query"}
APP_FILES = sorted([*settings.ROOT.glob("sti/*.py"), *settings.ROOT.glob("etl/**/*.py"),
                    *settings.ROOT.glob("app_pages/*.py"), settings.ROOT / "dashboard.py"])


def module_constants(tree: ast.Module) -> set[str]:
    """Upper-case module-level names whose value is itself built without splicing (literals, tables of them)."""
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        spliced = node.value is not None and any(isinstance(n, (ast.JoinedStr, ast.BinOp)) or (
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "format")
            for n in ast.walk(node.value)) if isinstance(node, (ast.Assign, ast.AnnAssign)) else False
        if not spliced:
            names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.lstrip("_").isupper()}
    return names


def loop_names_over_constants(func: ast.AST, constants: set[str]) -> set[str]:
    """Names bound by `for ... in CONSTANT...` loops: they only ever hold the constant's own SQL."""
    names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.For) and {n.id for n in ast.walk(node.iter) if isinstance(n, ast.Name)} & constants:
            names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return names


def splice_problems(expr: ast.AST, allowed: set[str]) -> list[str]:
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name) and expr.value.id in allowed:
        return []  # a statement looked up in a constant table: the key only chooses among fixed texts
    if isinstance(expr, ast.JoinedStr):
        return ["f-string"]
    if isinstance(expr, ast.Call):
        return [f"call {ast.unparse(expr.func)}()"]
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        return ["% formatting"]
    if isinstance(expr, ast.Name):
        return [] if expr.id in allowed else [f"runtime value {expr.id!r}"]
    return [p for child in ast.iter_child_nodes(expr) for p in splice_problems(child, allowed)]


def sql_calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = module_constants(tree)
    seen: set[int] = set()
    # innermost scope first, so a call is judged with the loop names of the function it is in
    scopes = [*(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))][::-1] + [tree]
    for scope in scopes:
        allowed = constants | loop_names_over_constants(scope, constants)
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in SQL_METHODS and node.args and id(node) not in seen:
                seen.add(id(node))
                yield node, splice_problems(node.args[0], allowed)


def test_the_scan_sees_the_statements():
    found = [node for path in APP_FILES for node, _ in sql_calls(path)]
    assert len(found) >= 25  # the queries module alone holds dozens; an empty scan would prove nothing


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: str(p.relative_to(settings.ROOT)))
def test_sql_is_never_built_from_values(path):
    bad = [f"{path.name}:{node.lineno}: {', '.join(problems)}" for node, problems in sql_calls(path) if problems]
    assert bad == []


@pytest.mark.parametrize("source,problem", [
    ('def f(con, c):\n    con.execute(f"SELECT * FROM t WHERE c = \'{c}\'")', "f-string"),
    ('def f(con, c):\n    con.execute("SELECT * FROM t WHERE c = \'{}\'".format(c))', "call"),
    ('def f(con, c):\n    con.execute("SELECT * FROM t WHERE c = %s" % c)', "% formatting"),
    ('def f(con, c):\n    con.execute("SELECT * FROM t WHERE c = " + c)', "runtime value 'c'"),
    ('import os\nSQL = f"SELECT * FROM {os.environ[\'T\']}"\ndef f(con):\n    con.execute(SQL)', "runtime value 'SQL'"),
])
def test_the_scan_catches_spliced_values(tmp_path, source, problem):
    path = tmp_path / "bad.py"
    path.write_text(source)
    [(_, problems)] = list(sql_calls(path))
    assert any(problem in p for p in problems)


def test_pages_name_queries_only_by_literal():
    """`store.read(name, *args)` runs `sti.queries.<name>`: the name must never come from the URL or a widget."""
    from sti import queries

    for path in [*settings.ROOT.glob("app_pages/*.py"), *settings.ROOT.glob("sti/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in {"store.read", "read"} and node.args:
                name = node.args[0]
                if path.name == "store.py":
                    continue  # the definition passes its own parameter on
                assert isinstance(name, ast.Constant), f"{path.name}:{node.lineno}"
                assert callable(getattr(queries, name.value, None)), f"{path.name}:{node.lineno}: {name.value}"
