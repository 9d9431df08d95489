"""URL state: what each query parameter may hold, and how a raw query string becomes valid values plus notices.

Pure functions, so every rule is unit-tested; `sti.ui` binds them to `st.query_params` and the widgets. Every value
is checked against the catalogue or a range: anything else falls back to the default and says so, never raises.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_SHOWN = 40  # characters of a rejected value quoted back in a notice


@dataclass(frozen=True)
class Param:
    name: str                                  # the URL parameter, an interface users' links rely on
    kind: str                                  # choice | codes | int | flag | text
    default: Any
    options: tuple[str, ...] = ()              # choice, codes: the allowed values
    lo: int = 0                                # int: the allowed range
    hi: int = 0                                # text: the longest value kept
    labels: Mapping[str, str] = field(default_factory=dict)  # option -> what users call it

    def describe(self, value: Any) -> str:
        if self.kind == "codes":
            return ", ".join(value) if value else "none"
        if self.kind == "choice":
            return self.labels.get(value, value)
        if self.kind == "flag":
            return "on" if value else "off"
        return str(value)


def shown(raw: str) -> str:
    """A rejected value, made safe to quote inside Markdown code: one line, no backticks, cut short."""
    text = " ".join(str(raw).split()).replace("`", "'")
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _fallback(p: Param, raw: str, why: str) -> tuple[Any, str]:
    return p.default, f"`{p.name}={shown(raw)}` {why}; showing {p.describe(p.default)} instead."


def parse(p: Param, raw: str) -> tuple[Any, str | None]:
    """(value, notice): the value `raw` stands for, or the default and a notice saying why."""
    text = raw.strip()
    if p.kind == "choice":
        match = {o.casefold(): o for o in p.options}.get(text.casefold())
        return (match, None) if match else _fallback(p, raw, "is not one of " + ", ".join(p.options))
    if p.kind == "codes":
        if not text:
            return (), None
        by_fold = {o.casefold(): o for o in p.options}
        wanted = [t.strip() for t in text.split(",") if t.strip()]
        known = list(dict.fromkeys(by_fold[t.casefold()] for t in wanted if t.casefold() in by_fold))
        unknown = [t for t in wanted if t.casefold() not in by_fold]
        if not unknown:
            return tuple(known), None
        if not known:
            return _fallback(p, raw, "names no state we cover")
        # quoted in code like every value a link carries, so `[text](url)` is shown, not rendered as a link
        return tuple(known), f"`{p.name}`: ignored `{shown(', '.join(unknown))}` (not a state we cover)."
    if p.kind == "int":
        try:
            number = int(text)
        except ValueError:
            return _fallback(p, raw, "is not a whole number")
        if not p.lo <= number <= p.hi:
            return _fallback(p, raw, f"is outside {p.lo}–{p.hi}")
        return number, None
    if p.kind == "flag":
        folded = text.casefold()
        if folded in ("1", "true", "yes", "on"):
            return True, None
        if folded in ("0", "false", "no", "off"):
            return False, None
        return _fallback(p, raw, "is not 1 or 0")
    if p.kind == "text":
        if len(raw) > p.hi:
            return raw[:p.hi], f"`{p.name}` was longer than {p.hi} characters and was cut."
        return raw, None
    raise ValueError(f"unknown parameter kind {p.kind!r}")


def serialise(p: Param, value: Any) -> str:
    if p.kind == "codes":
        return ",".join(value)
    if p.kind == "flag":
        return "1" if value else "0"
    return str(value)


def read(params: list[Param], raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Values for every parameter (defaults where absent or invalid) and the notices to show.

    A `from`/`to` pair that is backwards falls back to the defaults of both; unknown parameter names are noted."""
    values: dict[str, Any] = {}
    notices: list[str] = []
    for p in params:
        if p.name in raw:
            values[p.name], notice = parse(p, str(raw[p.name]))
            if notice:
                notices.append(notice)
        else:
            values[p.name] = p.default
    by_name = {p.name: p for p in params}
    if "from" in by_name and "to" in by_name and values["from"] > values["to"] and "from" not in raw:
        # only `to` was given, earlier than the default start: keep it, and start the default span before it
        span = by_name["to"].default - by_name["from"].default
        values["from"] = max(by_name["from"].lo, values["to"] - span)
    if "from" in by_name and "to" in by_name and values["from"] > values["to"]:
        notices.append(f"`from={values['from']}` is after `to={values['to']}`; showing "
                       f"{by_name['from'].default}–{by_name['to'].default} instead.")
        values["from"], values["to"] = by_name["from"].default, by_name["to"].default
    unknown = [k for k in raw if k not in by_name]
    if unknown:
        notices.append(f"Ignored unknown parameter{'s' if len(unknown) > 1 else ''} "
                       f"{', '.join('`' + shown(k) + '`' for k in unknown[:5])} in the link.")
    return values, notices
