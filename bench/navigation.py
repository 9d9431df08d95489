"""The app's pages as dashboard.py declares them (`st.Page(file, …, url_path=…)`), read from its source so that a
page added there is benchmarked without anyone editing the benchmarks."""
from __future__ import annotations

import ast
from dataclasses import dataclass

from sti import settings

DASHBOARD = settings.ROOT / "dashboard.py"


@dataclass(frozen=True)
class Page:
    name: str        # the file's stem: overview, areas, …
    file: str        # as dashboard.py names it: app_pages/areas.py
    url_path: str    # "" for the default page
    default: bool

    @property
    def address(self) -> str:
        return f"/{self.url_path}"


def pages() -> list[Page]:
    found = []
    for node in ast.walk(ast.parse(DASHBOARD.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args \
                and isinstance(node.args[0], ast.Constant):
            options = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            file = node.args[0].value
            found.append(Page(name=file.rsplit("/", 1)[-1].removesuffix(".py"), file=file,
                              url_path=options.get("url_path", ""), default=bool(options.get("default", False))))
    if not found:
        raise RuntimeError(f"no st.Page(…) found in {DASHBOARD}")
    return found
