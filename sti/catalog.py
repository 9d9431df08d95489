"""The catalogue: areas, countries, sources and indicators, declared once in data/catalog/*.toml.

Everything else (ETL, database, pages, exports) reads it from here. Loading validates every entry and fails with a
message that names the file, the entry and the field.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from sti import settings

AREA_IDS = ("rd", "research", "digital", "ecosystem", "investment", "sme", "metrology", "safety", "standards",
            "industry", "space")
ROLES = ("member", "observer", "benchmark", "aggregate", "neighbour")
MILESTONE_STATUSES = ("adopted", "held", "announced", "signed", "ongoing", "planned", "proposed")
KINDS = ("indicator", "context")
FLOW_SHARES = ("outbound", "inbound")  # an indicator the ETL computes from the student flows
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_GROUP_CODE = re.compile(r"^X[A-Z]{2}$")  # ISO 3166's user-assigned range: never a real country's code
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class CatalogError(ValueError):
    """A catalogue entry is missing a field or has a wrong one."""

    def __init__(self, file: str, entry: str, field_name: str, problem: str):
        self.file, self.entry, self.field, self.problem = file, entry, field_name, problem
        super().__init__(f"{file}: entry {entry!r}, field {field_name!r}: {problem}")


@dataclass(frozen=True)
class Milestone:
    date: str | None  # None where the source gives no date: we do not guess one
    title: str
    status: str
    source: str


@dataclass(frozen=True)
class Area:
    id: str
    order: int
    name: str
    description: str
    milestones: tuple[Milestone, ...]
    no_indicator_note: str | None        # the area has no international indicator, and says so
    indicator_note: str | None = None    # the area's indicators only approach it: says how
    short_name: str = ""                 # for narrow places: heat map headings, phone widths


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    role: str
    colour: str
    aliases: tuple[str, ...] = ()
    note: str | None = None
    has_data: bool = True
    since: int | None = None  # first year as an independent state, where later than the series we hold

    @property
    def is_ots(self) -> bool:
        return self.role in ("member", "observer")


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    name: str
    url: str
    licence: str
    licence_url: str
    citation: str
    redistribute: bool = True              # False: shown with citation, left out of bulk downloads
    redistribution_note: str | None = None  # why not, and where to get the data
    licence_note: str | None = None         # what the licence asks of whoever passes the data on (share-alike)

    @property
    def terms(self) -> str | None:
        """The licence note's first sentence, for captions and download rows ('Share-alike: …')."""
        return self.licence_note.split(". ")[0].rstrip(".") if self.licence_note else None


@dataclass(frozen=True)
class Caveat:
    """A note every view of the affected values shows: on a source, on indicators, or on indicator × states × years."""
    id: str
    note: str
    reason: str
    source: str | None = None
    indicators: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()   # empty: every country
    first_year: int | None = None
    last_year: int | None = None

    def text(self) -> str:
        return f"{self.note} ({self.reason})"


@dataclass(frozen=True)
class Derivation:
    numerator: str
    denominator: str
    multiplier: float

    @property
    def formula(self) -> str:
        return f"{self.numerator} / {self.denominator} × {self.multiplier:g}"


@dataclass(frozen=True)
class Scaling:
    """A per-capita or per-GDP form of a size-dependent series: value / denominator × multiplier, in `unit`."""
    denominator: str
    multiplier: float
    unit: str


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    source: str
    source_code: str
    areas: tuple[str, ...]
    higher_is_better: bool | None  # None: no direction makes sense (context series, some shares)
    definition: str
    kind: str = "indicator"
    scored: bool = False
    upstream: str | None = None
    derived: Derivation | None = None
    missing_means_zero: bool = False
    note: str | None = None
    headline: bool = False                 # one of the overview's headline figures
    per_capita: Scaling | None = None      # explorer toggles, declared where the series grows with size
    per_gdp: Scaling | None = None
    categories: tuple[tuple[int, str], ...] = ()  # coded statuses (memberships): shown as labels, never scored
    flow_share: str | None = None          # outbound | inbound: the ETL computes it from the student flows

    @property
    def is_categorical(self) -> bool:
        return bool(self.categories)

    @property
    def computed(self) -> bool:
        """Computed by the monitor (from other series or from the flows), never published as such."""
        return self.derived is not None or self.flow_share is not None

    @property
    def formula(self) -> str | None:
        if self.derived:
            return self.derived.formula
        if self.flow_share == "outbound":
            return ("students from the state to other OTS states in reported pairs / all the state's outbound "
                    "students (its top-10 destination list and 'other countries') × 100")
        if self.flow_share == "inbound":
            return ("students from other OTS states in reported pairs / all the state's inbound students (its "
                    "top-10 origin list and 'other countries') × 100")
        return None

    def category(self, value: float) -> str:
        return dict(self.categories).get(int(value), f"code {value:g}")

    def scaling(self, per: str) -> Scaling | None:
        return {"capita": self.per_capita, "gdp": self.per_gdp}.get(per)


@dataclass(frozen=True)
class Partner:
    """A country (or a publisher's unnamed remainder, `group`) that student flows name besides our own states."""
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    group: bool = False
    note: str | None = None


@dataclass(frozen=True)
class FlowSettings:
    """How the student flows are shown and summed (data/catalog/flows.toml)."""
    source: str
    first_year: int          # the years the Cooperation page offers, from the publisher's notes
    last_year: int
    default_year: int
    context: tuple[str, ...]     # non-OTS hosts always drawn beside the OTS states
    other_destinations: int      # how many more of the year's largest destinations the Sankey names
    reporters: tuple[str, ...]   # hosts that must have reported for a year's outbound share to be computed


@dataclass(frozen=True)
class Catalog:
    areas: tuple[Area, ...]
    countries: tuple[Country, ...]
    sources: tuple[Source, ...]
    indicators: tuple[Indicator, ...]
    caveats: tuple[Caveat, ...] = ()
    partners: tuple[Partner, ...] = ()
    flows: FlowSettings | None = None
    _by_alias: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _partner_alias: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def country(self, code: str) -> Country:
        return next(c for c in self.countries if c.code == code)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    @property
    def country_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.countries)

    def ots_states(self) -> tuple[Country, ...]:
        return tuple(c for c in self.countries if c.is_ots)

    def benchmarks(self) -> tuple[Country, ...]:
        return tuple(c for c in self.countries if c.role == "benchmark")

    def scored_for_area(self, area_id: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators_for_area(area_id) if i.scored)

    def fetchable_countries(self) -> tuple[Country, ...]:
        """Countries international series can cover (excludes e.g. Northern Cyprus)."""
        return tuple(c for c in self.countries if c.has_data)

    def indicators_for_area(self, area_id: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if area_id in i.areas)

    def indicators_from(self, source_id: str) -> tuple[Indicator, ...]:
        """Series a source publishes itself (derived indicators and flow shares are computed, not fetched)."""
        return tuple(i for i in self.indicators if i.source == source_id and not i.computed)

    def by_source_code(self, source_id: str, source_code: str) -> Indicator | None:
        return self._by_source_code.get((source_id, source_code))

    @cached_property
    def _by_source_code(self) -> dict[tuple[str, str], Indicator]:
        # The importer looks up every row it reads: a scan of the indicators per lookup slowed large imports.
        # The first published indicator with a code wins, as the scan had it.
        index: dict[tuple[str, str], Indicator] = {}
        for ind in self.indicators:
            if not ind.computed:
                index.setdefault((ind.source, ind.source_code), ind)
        return index

    def resolve_country(self, code: str | None, name: str | None = None) -> str | None:
        """Map a publisher's country code or name to our ISO3 code, or None if it is not one of ours."""
        for key in (code, name):
            if key:
                found = self._by_alias.get(key.strip().casefold())
                if found:
                    return found
        return None

    def resolve_partner(self, name: str) -> str | None:
        """A flow partner's code from the publisher's name: one of our countries, or a declared partner."""
        return self.resolve_country(None, name) or self._partner_alias.get(name.strip().casefold())

    def partner_names(self) -> dict[str, str]:
        """Every code a flow may name (our countries and the declared partners) and its name."""
        return {c.code: c.name for c in self.countries} | {p.code: p.name for p in self.partners}

    def group_codes(self) -> frozenset[str]:
        """The publishers' unnamed remainders ('Other countries'): never a country pair."""
        return frozenset(p.code for p in self.partners if p.group)

    def flow_states(self) -> tuple[str, ...]:
        """The OTS members and observers whose flows the intra-OTS shares count."""
        return tuple(c.code for c in self.ots_states() if c.has_data)


# --- loading and validation -----------------------------------------------------------------------------------------

class _Entry:
    """Reads typed fields from one TOML table, raising CatalogError with file/entry/field on any problem."""

    def __init__(self, file: str, entry: str, data: Any):
        if not isinstance(data, dict):
            raise CatalogError(file, entry, "-", "must be a table")
        self.file, self.entry, self.data = file, entry, data

    def fail(self, name: str, problem: str) -> CatalogError:
        return CatalogError(self.file, self.entry, name, problem)

    def str(self, name: str, *, required: bool = True, choices: tuple[str, ...] | None = None,
            pattern: re.Pattern[str] | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, got {value!r}")
        if choices and value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, got {value!r}")
        if pattern and not pattern.match(value):
            raise self.fail(name, f"has the wrong form: {value!r}")
        return value.strip()

    def req(self, name: str, **kw: Any) -> str:
        value = self.str(name, required=True, **kw)
        assert value is not None
        return value

    def bool(self, name: str, default: bool | None = None) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "is missing" if value is None else f"must be true or false, got {value!r}")
        return value

    def optional_bool(self, name: str) -> bool | None:
        return self.bool(name) if name in self.data else None

    def optional_year(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 1000 <= value <= 2100:
            raise self.fail(name, f"must be a year, got {value!r}")
        return value

    def str_list(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "is missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, f"must be a list of non-empty strings, got {value!r}")
        return tuple(value)

    def unknown_keys(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed)
        if extra:
            raise self.fail(extra[0], f"is not a known field (allowed: {', '.join(sorted(allowed))})")


def _read(directory: Path, name: str, table: str) -> list[Any]:
    path = directory / name
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogError(name, "-", "-", f"file not found in {directory}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(name, "-", "-", f"is not valid TOML: {exc}") from None
    entries = doc.get(table)
    if not isinstance(entries, list) or not entries:
        raise CatalogError(name, "-", table, f"expected one or more [[{table}]] tables")
    return entries


def _unique(file: str, kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise CatalogError(file, i, "id" if kind != "country" else "code", f"duplicate {kind}")
        seen.add(i)


def _load_sources(directory: Path) -> tuple[Source, ...]:
    out = []
    for n, raw in enumerate(_read(directory, "sources.toml", "source")):
        e = _Entry("sources.toml", str(raw.get("id", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}", raw)
        e.unknown_keys({"id", "publisher", "name", "url", "licence", "licence_url", "citation", "redistribute",
                        "redistribution_note", "licence_note"})
        redistribute = e.bool("redistribute", default=True)
        note = e.str("redistribution_note", required=not redistribute)
        out.append(Source(id=e.req("id"), publisher=e.req("publisher"), name=e.req("name"), url=e.req("url"),
                          licence=e.req("licence"), licence_url=e.req("licence_url"), citation=e.req("citation"),
                          redistribute=redistribute, redistribution_note=note,
                          licence_note=e.str("licence_note", required=False)))
    _unique("sources.toml", "source", [s.id for s in out])
    return tuple(out)


def _load_areas(directory: Path, source_ids: set[str]) -> tuple[Area, ...]:
    out = []
    for n, raw in enumerate(_read(directory, "areas.toml", "area")):
        e = _Entry("areas.toml", str(raw.get("id", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}", raw)
        e.unknown_keys({"id", "name", "short_name", "description", "milestone", "no_indicator_note",
                        "indicator_note"})
        area_id = e.req("id", choices=AREA_IDS)
        milestones = []
        raw_ms = raw.get("milestone", [])
        if not isinstance(raw_ms, list):
            raise e.fail("milestone", "must be a list of [[area.milestone]] tables")
        for k, m in enumerate(raw_ms):
            me = _Entry("areas.toml", f"{area_id} milestone #{k + 1}", m)
            me.unknown_keys({"date", "title", "status", "source"})
            src = me.req("source")
            if src not in source_ids:
                raise me.fail("source", f"unknown source {src!r} (declare it in sources.toml)")
            milestones.append(Milestone(date=me.str("date", required=False, pattern=_PARTIAL_DATE), title=me.req("title"),
                                        status=me.req("status", choices=MILESTONE_STATUSES), source=src))
        out.append(Area(id=area_id, order=n + 1, name=e.req("name"), description=e.req("description"),
                        milestones=tuple(milestones), no_indicator_note=e.str("no_indicator_note", required=False),
                        indicator_note=e.str("indicator_note", required=False), short_name=e.req("short_name")))
    _unique("areas.toml", "area", [a.id for a in out])
    if tuple(a.id for a in out) != AREA_IDS:
        raise CatalogError("areas.toml", "-", "id", f"areas must be exactly {', '.join(AREA_IDS)} in this order")
    return tuple(out)


def _load_countries(directory: Path) -> tuple[Country, ...]:
    out = []
    for n, raw in enumerate(_read(directory, "countries.toml", "country")):
        e = _Entry("countries.toml", str(raw.get("code", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}",
                   raw)
        e.unknown_keys({"code", "name", "role", "colour", "aliases", "note", "has_data", "since"})
        has_data = e.bool("has_data", default=True)
        note = e.str("note", required=False)
        if not has_data and not note:
            raise e.fail("note", "a country without international series must say why in a note")
        out.append(Country(code=e.req("code", pattern=_ISO3), name=e.req("name"), role=e.req("role", choices=ROLES),
                           colour=e.req("colour", pattern=_HEX).upper(), aliases=e.str_list("aliases"), note=note,
                           has_data=has_data, since=e.optional_year("since")))
    _unique("countries.toml", "country", [c.code for c in out])
    first_with: dict[str, str] = {}
    for c in out:
        other = first_with.setdefault(c.colour, c.code)
        if other != c.code:
            raise CatalogError("countries.toml", c.code, "colour", f"{c.colour} is already {other}'s colour")
    return tuple(out)


def _load_indicators(directory: Path, source_ids: set[str]) -> tuple[Indicator, ...]:
    out = []
    for n, raw in enumerate(_read(directory, "indicators.toml", "indicator")):
        e = _Entry("indicators.toml", str(raw.get("code", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}",
                   raw)
        e.unknown_keys({"code", "name", "unit", "source", "source_code", "areas", "higher_is_better", "definition",
                        "kind", "scored", "upstream", "derived", "missing_means_zero", "note", "headline",
                        "per_capita", "per_gdp", "categories", "flow_share"})
        code = e.req("code")
        source = e.req("source")
        if source not in source_ids:
            raise e.fail("source", f"unknown source {source!r} (declare it in sources.toml)")
        kind = e.str("kind", required=False, choices=KINDS) or "indicator"
        areas = e.str_list("areas")
        for a in areas:
            if a not in AREA_IDS:
                raise e.fail("areas", f"unknown area {a!r}")
        if kind == "indicator" and not areas:
            raise e.fail("areas", "an indicator must inform at least one area (use kind = \"context\" otherwise)")
        if kind == "context" and areas:
            raise e.fail("areas", "a context series (denominator, scatter axis) is not mapped to areas")
        scored = e.bool("scored", default=False)
        if scored and kind != "indicator":
            raise e.fail("scored", "only area indicators can be scored")
        higher_is_better = e.optional_bool("higher_is_better")
        if scored and higher_is_better is None:
            raise e.fail("higher_is_better", "a scored indicator must say whether higher is better")
        derived = None
        if "derived" in raw:
            de = _Entry("indicators.toml", f"{code} derived", raw["derived"])
            de.unknown_keys({"numerator", "denominator", "multiplier"})
            mult = raw["derived"].get("multiplier", 1)
            if not isinstance(mult, (int, float)) or isinstance(mult, bool) or mult <= 0:
                raise de.fail("multiplier", f"must be a positive number, got {mult!r}")
            derived = Derivation(numerator=de.req("numerator"), denominator=de.req("denominator"),
                                 multiplier=float(mult))
        scalings = {}
        for part, denominator in (("per_capita", "SP.POP.TOTL"), ("per_gdp", "NY.GDP.MKTP.CD")):
            if part in raw:
                se = _Entry("indicators.toml", f"{code} {part}", raw[part])
                se.unknown_keys({"multiplier", "unit"})
                mult = raw[part].get("multiplier")
                if not isinstance(mult, (int, float)) or isinstance(mult, bool) or mult <= 0:
                    raise se.fail("multiplier", f"must be a positive number, got {mult!r}")
                scalings[part] = Scaling(denominator=denominator, multiplier=float(mult), unit=se.req("unit"))
        categories = _categories(e, raw.get("categories"))
        if categories and (scored or higher_is_better is not None or "per_capita" in raw or "per_gdp" in raw):
            raise e.fail("categories", "a coded status is shown as labels: it cannot be scored, ranked or scaled")
        headline = e.bool("headline", default=False)
        if headline and not scored:
            raise e.fail("headline", "headline figures are taken from scored indicators")
        flow_share = e.str("flow_share", required=False, choices=FLOW_SHARES)
        if flow_share and (derived or scored):
            raise e.fail("flow_share", "a share computed from the top-10 flow lists is a lower bound: it is neither "
                                       "derived from other series nor scored")
        out.append(Indicator(
            code=code, name=e.req("name"), unit=e.req("unit"), source=source,
            source_code=e.str("source_code", required=derived is None and flow_share is None) or code, areas=areas,
            higher_is_better=higher_is_better, definition=e.req("definition"), kind=kind, scored=scored,
            upstream=e.str("upstream", required=False), derived=derived,
            missing_means_zero=e.bool("missing_means_zero", default=False), note=e.str("note", required=False),
            headline=headline, categories=categories, flow_share=flow_share, **scalings))
    _unique("indicators.toml", "indicator", [i.code for i in out])
    published: dict[tuple[str, str], str] = {}
    for ind in out:
        if not ind.computed:
            other = published.setdefault((ind.source, ind.source_code), ind.code)
            if other != ind.code:
                raise CatalogError("indicators.toml", ind.code, "source_code",
                                   f"{ind.source_code!r} from {ind.source} is already indicator {other}")
    codes = {i.code for i in out}
    for ind in out:
        for scaling in (ind.per_capita, ind.per_gdp):
            if scaling and scaling.denominator not in codes:
                raise CatalogError("indicators.toml", ind.code, "per_capita" if scaling is ind.per_capita
                                   else "per_gdp", f"needs the context series {scaling.denominator} in the catalogue")
        if ind.derived:
            for part in ("numerator", "denominator"):
                ref = getattr(ind.derived, part)
                if ref not in codes:
                    raise CatalogError("indicators.toml", ind.code, f"derived.{part}", f"unknown indicator {ref!r}")
                if _ind_by(out, ref).derived is not None:
                    raise CatalogError("indicators.toml", ind.code, f"derived.{part}",
                                       "derived indicators are built from published series only")
    return tuple(out)


def _categories(e: _Entry, raw: Any) -> tuple[tuple[int, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        raise e.fail("categories", "must be a table of code = \"label\"")
    out = []
    for key, label in raw.items():
        if not str(key).lstrip("-").isdigit() or not isinstance(label, str) or not label.strip():
            raise e.fail("categories", f"entry {key!r} must map a whole-number code to a label")
        out.append((int(key), label.strip()))
    return tuple(sorted(out))


def _load_caveats(directory: Path, source_ids: set[str], indicators: tuple[Indicator, ...],
                  country_codes: set[str]) -> tuple[Caveat, ...]:
    if not (directory / "caveats.toml").exists():
        return ()
    codes = {i.code for i in indicators}
    out = []
    for n, raw in enumerate(_read(directory, "caveats.toml", "caveat")):
        e = _Entry("caveats.toml", str(raw.get("id", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}", raw)
        e.unknown_keys({"id", "note", "reason", "source", "indicators", "countries", "from", "to"})
        source = e.str("source", required=False)
        if source is not None and source not in source_ids:
            raise e.fail("source", f"unknown source {source!r}")
        inds = e.str_list("indicators")
        for code in inds:
            if code not in codes:
                raise e.fail("indicators", f"unknown indicator {code!r}")
        if (source is None) == (not inds):
            raise e.fail("source", "a caveat names either a source or indicators (not both, not neither)")
        countries = e.str_list("countries")
        for code in countries:
            if code not in country_codes:
                raise e.fail("countries", f"unknown country {code!r}")
        first, last = e.optional_year("from"), e.optional_year("to")
        if first and last and first > last:
            raise e.fail("to", f"{last} is before from = {first}")
        out.append(Caveat(id=e.req("id"), note=e.req("note"), reason=e.req("reason"), source=source,
                          indicators=inds, countries=countries, first_year=first, last_year=last))
    _unique("caveats.toml", "caveat", [c.id for c in out])
    return tuple(out)


def _load_flows(directory: Path, source_ids: set[str], countries: tuple[Country, ...],
                indicators: tuple[Indicator, ...]) -> tuple[FlowSettings | None, tuple[Partner, ...]]:
    """flows.toml: the flow settings and the partner countries; optional, like caveats.toml."""
    name = "flows.toml"
    if not (directory / name).exists():
        if any(i.flow_share for i in indicators):
            raise CatalogError(name, "-", "-", "indicators declare a flow_share, so flows.toml is needed")
        return None, ()
    try:
        with (directory / name).open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(name, "-", "-", f"is not valid TOML: {exc}") from None
    e = _Entry(name, "flows", doc.get("flows"))
    e.unknown_keys({"source", "first_year", "last_year", "default_year", "context", "other_destinations",
                    "reporters"})
    source = e.req("source")
    if source not in source_ids:
        raise e.fail("source", f"unknown source {source!r} (declare it in sources.toml)")
    years = {}
    for key in ("first_year", "last_year", "default_year"):
        years[key] = e.optional_year(key)
        if years[key] is None:
            raise e.fail(key, "is missing")
    if not years["first_year"] <= years["default_year"] <= years["last_year"]:
        raise e.fail("default_year", "must lie between first_year and last_year")
    codes = {c.code for c in countries}
    for key in ("context", "reporters"):
        for code in e.str_list(key, required=True):
            if code not in codes:
                raise e.fail(key, f"unknown country {code!r} (countries.toml)")
    others = doc["flows"].get("other_destinations")
    if not isinstance(others, int) or isinstance(others, bool) or not 0 <= others <= 20:
        raise e.fail("other_destinations", f"must be a whole number from 0 to 20, got {others!r}")
    for ind in indicators:
        if ind.flow_share and ind.source != source:
            raise CatalogError("indicators.toml", ind.code, "source", f"a flow share belongs to the flows' source "
                                                                      f"{source!r}")
    settings_ = FlowSettings(source=source, first_year=years["first_year"], last_year=years["last_year"],
                             default_year=years["default_year"], context=e.str_list("context"),
                             other_destinations=others, reporters=e.str_list("reporters"))
    partners = []
    raw_partners = doc.get("partner", [])
    if not isinstance(raw_partners, list):
        raise CatalogError(name, "-", "partner", "expected [[partner]] tables")
    for n, raw in enumerate(raw_partners):
        pe = _Entry(name, str(raw.get("code", f"#{n + 1}")) if isinstance(raw, dict) else f"#{n + 1}", raw)
        pe.unknown_keys({"code", "name", "aliases", "group", "note"})
        group = pe.bool("group", default=False)
        code = pe.req("code", pattern=_GROUP_CODE if group else _ISO3)
        if code in codes:
            raise pe.fail("code", "is a state of countries.toml, which flows name directly")
        partners.append(Partner(code=code, name=pe.req("name"), aliases=pe.str_list("aliases"), group=group,
                                note=pe.str("note", required=False)))
    _unique(name, "country", [p.code for p in partners])
    return settings_, tuple(partners)


def _ind_by(indicators: tuple[Indicator, ...] | list[Indicator], code: str) -> Indicator:
    return next(i for i in indicators if i.code == code)


def load_catalog(directory: Path | str | None = None) -> Catalog:
    directory = Path(directory) if directory else settings.CATALOG_DIR
    sources = _load_sources(directory)
    source_ids = {s.id for s in sources}
    areas = _load_areas(directory, source_ids)
    countries = _load_countries(directory)
    indicators = _load_indicators(directory, source_ids)
    caveats = _load_caveats(directory, source_ids, indicators, {c.code for c in countries})
    flows, partners = _load_flows(directory, source_ids, countries, indicators)
    for area in areas:
        has = any(area.id in i.areas for i in indicators)
        if not has and not area.no_indicator_note:
            raise CatalogError("areas.toml", area.id, "no_indicator_note",
                               "an area with no international indicator must say so")
        if has and area.no_indicator_note:
            raise CatalogError("areas.toml", area.id, "no_indicator_note",
                               "the area has indicators; describe their limits in indicator_note instead")
    by_alias: dict[str, str] = {}
    for c in countries:
        for key in (c.code, c.name, *c.aliases):
            other = by_alias.setdefault(key.casefold(), c.code)
            if other != c.code:
                raise CatalogError("countries.toml", c.code, "aliases", f"{key!r} already names {other}")
    partner_alias: dict[str, str] = {}
    for p in partners:
        for key in (p.code, p.name, *p.aliases):
            other = by_alias.get(key.casefold()) or partner_alias.setdefault(key.casefold(), p.code)
            if other != p.code:
                raise CatalogError("flows.toml", p.code, "aliases", f"{key!r} already names {other}")
    return Catalog(areas=areas, countries=countries, sources=sources, indicators=indicators, caveats=caveats,
                   partners=partners, flows=flows, _by_alias=by_alias, _partner_alias=partner_alias)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The project's catalogue, loaded once per process."""
    return load_catalog(settings.CATALOG_DIR)
