"""Every SQL statement of the project. Values are bound as `?` parameters; identifiers are fixed here."""
from __future__ import annotations

import duckdb
import pandas as pd

from sti.catalog import Catalog

SCHEMA = """
CREATE TABLE country (
    code VARCHAR NOT NULL,           -- ISO 3166 alpha-3, or the World Bank's code for aggregates
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,           -- member | observer | benchmark | aggregate | neighbour
    colour VARCHAR NOT NULL,         -- fixed chart colour
    has_data BOOLEAN NOT NULL,       -- false where no international series covers it
    since INTEGER,                   -- first year as an independent state, where that is after 1957
    note VARCHAR
);
CREATE TABLE area (
    id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    no_indicator_note VARCHAR,       -- set where no international indicator exists
    indicator_note VARCHAR           -- set where the indicators only approach the area, saying how
);
CREATE TABLE milestone (
    area VARCHAR NOT NULL,
    date VARCHAR,                    -- as precise as the source gives it; NULL where it gives none
    title VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    source VARCHAR NOT NULL
);
CREATE TABLE source (
    id VARCHAR NOT NULL,
    publisher VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    licence VARCHAR NOT NULL,
    licence_url VARCHAR NOT NULL,
    citation VARCHAR NOT NULL
);
CREATE TABLE indicator (
    code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    source_code VARCHAR NOT NULL,    -- the publisher's own code (WDI code, OWID grapher slug)
    kind VARCHAR NOT NULL,           -- indicator | context
    higher_is_better BOOLEAN,        -- NULL where no direction makes sense
    scored BOOLEAN NOT NULL,
    definition VARCHAR NOT NULL,
    upstream VARCHAR,                -- the original producer a publisher republishes
    formula VARCHAR,                 -- for derived indicators, computed by the ETL from:
    numerator VARCHAR,               --   this indicator
    denominator VARCHAR,             --   divided by this one
    note VARCHAR
);
CREATE TABLE indicator_area (
    indicator VARCHAR NOT NULL,
    area VARCHAR NOT NULL
);
CREATE TABLE observation (
    indicator VARCHAR NOT NULL,
    country VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    source VARCHAR NOT NULL,
    vintage VARCHAR NOT NULL,        -- the publisher's last-updated date for the series
    retrieved_at TIMESTAMP NOT NULL  -- UTC
);
CREATE TABLE publisher_metadata (
    kind VARCHAR NOT NULL,           -- indicator | country
    key VARCHAR NOT NULL,            -- indicator code or country code
    field VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    vintage VARCHAR NOT NULL
);
CREATE TABLE etl_run (
    id INTEGER NOT NULL,
    started TIMESTAMP NOT NULL,      -- UTC
    finished TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    status VARCHAR NOT NULL,         -- ok | failed | skipped
    rows BIGINT NOT NULL,
    message VARCHAR NOT NULL
);
CREATE TABLE partner (              -- countries flows name besides those of `country`, and unnamed remainders
    code VARCHAR NOT NULL,           -- ISO 3166 alpha-3, or X.. for a remainder such as 'Other countries'
    name VARCHAR NOT NULL,
    is_group BOOLEAN NOT NULL        -- a publisher's remainder ('Other countries'), never a country
);
CREATE TABLE flow (                  -- internationally mobile students, one row per entry of a publisher's top list
    origin VARCHAR NOT NULL,         -- country of origin: a `country` or `partner` code
    destination VARCHAR NOT NULL,    -- host country
    year INTEGER NOT NULL,
    students DOUBLE NOT NULL,        -- as published (a few are not whole numbers)
    source VARCHAR NOT NULL,
    vintage VARCHAR NOT NULL,
    listed_by VARCHAR NOT NULL,      -- whose top list the row is from: 'origin' (its destinations) or 'destination'
    flags VARCHAR NOT NULL,          -- the publisher's qualifiers, e.g. 'NAT_EST UIS_EST'; '' for none
    retrieved_at TIMESTAMP NOT NULL  -- UTC
);
CREATE TABLE national_indicator (    -- indicators a user's national-figures file declared (not in the catalogue)
    code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    area VARCHAR NOT NULL,
    file VARCHAR NOT NULL
);
CREATE TABLE national_observation (  -- figures users brought (`python -m etl import` of the template): never scored
    indicator VARCHAR NOT NULL,      -- a catalogue code (same unit) or a national_indicator code
    country VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    unit VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,
    source_url VARCHAR NOT NULL,
    licence VARCHAR NOT NULL,
    retrieved DATE NOT NULL,
    note VARCHAR,
    file VARCHAR NOT NULL,           -- the imported file and line, for tracing
    line INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL   -- UTC
);
CREATE TABLE series_stats (          -- one row per series in `observation`, written with it: read instead of it
    indicator VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    countries BIGINT NOT NULL,
    first_year INTEGER NOT NULL,
    last_year INTEGER NOT NULL,
    vintage VARCHAR NOT NULL         -- the series' one vintage (a check of the writer)
);
"""

OBSERVATION_COLUMNS = ["indicator", "country", "year", "value", "source", "vintage", "retrieved_at"]
METADATA_COLUMNS = ["kind", "key", "field", "value", "source", "vintage"]
RUN_COLUMNS = ["id", "started", "finished", "source", "status", "rows", "message"]
NATIONAL_COLUMNS = ["indicator", "country", "year", "value", "unit", "source_name", "source_url", "licence",
                    "retrieved", "note", "file", "line", "imported_at"]
NATIONAL_INDICATOR_COLUMNS = ["code", "name", "unit", "area", "file"]
FLOW_COLUMNS = ["origin", "destination", "year", "students", "source", "vintage", "listed_by", "flags", "retrieved_at"]

# --- writing (ETL only) ---------------------------------------------------------------------------------------------


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def insert_catalog(con: duckdb.DuckDBPyConnection, cat: Catalog) -> None:
    for table, rows in _catalog_rows(cat).items():
        if rows:  # object columns keep the values as given: None stays NULL, ints stay ints
            insert_frame(con, table, pd.DataFrame(rows, columns=CATALOG_COLUMNS[table], dtype=object))


CATALOG_COLUMNS = {
    "country": ["code", "name", "role", "colour", "has_data", "since", "note"],
    "area": ["id", "position", "name", "description", "no_indicator_note", "indicator_note"],
    "milestone": ["area", "date", "title", "status", "source"],
    "source": ["id", "publisher", "name", "url", "licence", "licence_url", "citation"],
    "indicator": ["code", "name", "unit", "source", "source_code", "kind", "higher_is_better", "scored", "definition",
                  "upstream", "formula", "numerator", "denominator", "note"],
    "indicator_area": ["indicator", "area"],
    "partner": ["code", "name", "is_group"],
}


def _catalog_rows(cat: Catalog) -> dict[str, list[tuple]]:
    return {
        "country": [(c.code, c.name, c.role, c.colour, c.has_data, c.since, c.note) for c in cat.countries],
        "area": [(a.id, a.order, a.name, a.description, a.no_indicator_note, a.indicator_note) for a in cat.areas],
        "milestone": [(a.id, m.date, m.title, m.status, m.source) for a in cat.areas for m in a.milestones],
        "source": [(s.id, s.publisher, s.name, s.url, s.licence, s.licence_url, s.citation) for s in cat.sources],
        "indicator": [(i.code, i.name, i.unit, i.source, i.source_code, i.kind, i.higher_is_better, i.scored,
                       i.definition, i.upstream, i.formula, i.derived.numerator if i.derived else None,
                       i.derived.denominator if i.derived else None, i.note) for i in cat.indicators],
        "indicator_area": [(i.code, a) for i in cat.indicators for a in i.areas],
        "partner": [(p.code, p.name, p.group) for p in cat.partners],
    }


_INSERT_FROM_FRAME = {
    "country": "INSERT INTO country SELECT code, name, role, colour, has_data, since, note FROM incoming_frame",
    "area": ("INSERT INTO area SELECT id, position, name, description, no_indicator_note, indicator_note "
             "FROM incoming_frame"),
    "milestone": "INSERT INTO milestone SELECT area, date, title, status, source FROM incoming_frame",
    "source": ("INSERT INTO source SELECT id, publisher, name, url, licence, licence_url, citation "
               "FROM incoming_frame"),
    "indicator": ("INSERT INTO indicator SELECT code, name, unit, source, source_code, kind, higher_is_better, scored, "
                  "definition, upstream, formula, numerator, denominator, note FROM incoming_frame"),
    "indicator_area": "INSERT INTO indicator_area SELECT indicator, area FROM incoming_frame",
    "partner": "INSERT INTO partner SELECT code, name, is_group FROM incoming_frame",
    "observation": ("INSERT INTO observation SELECT indicator, country, year, value, source, vintage, retrieved_at "
                    "FROM incoming_frame"),
    "publisher_metadata": "INSERT INTO publisher_metadata SELECT kind, key, field, value, source, vintage "
                          "FROM incoming_frame",
    "etl_run": "INSERT INTO etl_run SELECT id, started, finished, source, status, rows, message FROM incoming_frame",
    "national_indicator": "INSERT INTO national_indicator SELECT code, name, unit, area, file FROM incoming_frame",
    "flow": ("INSERT INTO flow SELECT origin, destination, year, students, source, vintage, listed_by, flags, "
             "retrieved_at FROM incoming_frame"),
    "national_observation": (
        "INSERT INTO national_observation SELECT indicator, country, year, value, unit, source_name, source_url, "
        "licence, retrieved, note, file, line, imported_at FROM incoming_frame"),
}


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-insert a data frame into one of the tables (the statement is fixed per table)."""
    con.register("incoming_frame", frame)
    try:
        con.execute(_INSERT_FROM_FRAME[table])
    finally:
        con.unregister("incoming_frame")


SERIES_STATS = """
    SELECT indicator, count(*) AS rows, count(DISTINCT country) AS countries, min(year) AS first_year,
           max(year) AS last_year, any_value(vintage) AS vintage
    FROM observation GROUP BY indicator"""


def insert_series_stats(con: duckdb.DuckDBPyConnection) -> None:
    """Once the observations are in: `status` reads these instead of counting distinct values over every row."""
    con.execute("INSERT INTO series_stats" + SERIES_STATS + " ORDER BY indicator")


# The checks a new database must pass before it replaces the old one (unique keys, finite values, known codes).
CHECKS = {
    "duplicate (indicator, country, year)": """
        SELECT indicator || ' ' || country || ' ' || year::VARCHAR || ' (' || count(*)::VARCHAR || ' rows)'
        FROM observation GROUP BY indicator, country, year HAVING count(*) > 1""",
    "value is not finite": """
        SELECT indicator || ' ' || country || ' ' || year::VARCHAR FROM observation
        WHERE NOT isfinite(value)""",
    "indicator not in the catalogue": """
        SELECT DISTINCT o.indicator FROM observation o ANTI JOIN indicator i ON o.indicator = i.code""",
    "country not in the catalogue": """
        SELECT DISTINCT o.country FROM observation o ANTI JOIN country c ON o.country = c.code""",
    "source not in the catalogue": """
        SELECT DISTINCT o.source FROM observation o ANTI JOIN source s ON o.source = s.id""",
    "observation source differs from its indicator's source": """
        SELECT DISTINCT o.indicator || ' from ' || o.source FROM observation o
        JOIN indicator i ON o.indicator = i.code WHERE o.source <> i.source""",
    "empty vintage": """
        SELECT DISTINCT indicator FROM observation WHERE trim(vintage) = ''""",
    "more than one vintage in a series": """
        SELECT indicator || ' ' || string_agg(DISTINCT vintage, ', ') FROM observation
        GROUP BY indicator HAVING count(DISTINCT vintage) > 1""",
    "national figure of an undeclared indicator": """
        SELECT DISTINCT n.indicator FROM national_observation n
        WHERE n.indicator NOT IN (SELECT code FROM indicator UNION ALL SELECT code FROM national_indicator)""",
    "national indicator code taken by the catalogue": """
        SELECT n.code FROM national_indicator n JOIN indicator i ON i.code = n.code""",
    "national figure of an unknown country": """
        SELECT DISTINCT n.country FROM national_observation n ANTI JOIN country c ON n.country = c.code""",
    "duplicate national figure": """
        SELECT indicator || ' ' || country || ' ' || year::VARCHAR || ' ' || source_name FROM national_observation
        GROUP BY indicator, country, year, source_name HAVING count(*) > 1""",
    "duplicate flow (origin, destination, year, listed_by)": """
        SELECT origin || ' ' || destination || ' ' || year::VARCHAR || ' ' || listed_by FROM flow
        GROUP BY origin, destination, year, listed_by HAVING count(*) > 1""",
    "flow count is not a finite number of students": """
        SELECT origin || ' ' || destination || ' ' || year::VARCHAR FROM flow
        WHERE NOT isfinite(students) OR students < 0""",
    "flow of a country not in the catalogue": """
        SELECT DISTINCT code FROM (SELECT origin AS code FROM flow UNION ALL SELECT destination FROM flow)
        WHERE code NOT IN (SELECT code FROM country UNION ALL SELECT code FROM partner)""",
    "flow source not in the catalogue": """
        SELECT DISTINCT f.source FROM flow f ANTI JOIN source s ON f.source = s.id""",
    "flow list neither an origin's nor a destination's": """
        SELECT DISTINCT listed_by FROM flow WHERE listed_by NOT IN ('origin', 'destination')""",
    "flow list of a country not in countries.toml": """
        SELECT DISTINCT CASE listed_by WHEN 'origin' THEN origin ELSE destination END FROM flow
        WHERE CASE listed_by WHEN 'origin' THEN origin ELSE destination END NOT IN (SELECT code FROM country)""",
    "flow between two remainders or between a country and itself": """
        SELECT origin || ' ' || destination || ' ' || year::VARCHAR FROM flow
        WHERE origin = destination OR (origin IN (SELECT code FROM partner WHERE is_group)
                                       AND destination IN (SELECT code FROM partner WHERE is_group))""",
    "empty flow vintage": """
        SELECT DISTINCT source || ' ' || listed_by FROM flow WHERE trim(vintage) = ''""",
    "more than one vintage in a source's flow lists": """
        SELECT source || ' ' || listed_by || ': ' || string_agg(DISTINCT vintage, ', ') FROM flow
        GROUP BY source, listed_by HAVING count(DISTINCT vintage) > 1""",
}


def check_problems(con: duckdb.DuckDBPyConnection, limit: int = 5) -> list[str]:
    problems = []
    for label, sql in CHECKS.items():
        rows = con.execute(sql + " LIMIT ?", [limit]).fetchall()
        if rows:
            problems.append(f"{label}: {', '.join(str(r[0]) for r in rows)}")
    return problems


# --- reading --------------------------------------------------------------------------------------------------------


def observations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT indicator, country, year, value, source, vintage, retrieved_at FROM observation "
        "ORDER BY indicator, country, year").df()


def publisher_metadata(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT kind, key, field, value, source, vintage FROM publisher_metadata ORDER BY kind, key, field").df()


def metadata_values(con: duckdb.DuckDBPyConnection, source: str, field: str) -> dict[str, str]:
    """One publisher-metadata field of a source, by key (e.g. IFC's national source per economy)."""
    rows = con.execute("SELECT key, value FROM publisher_metadata WHERE source = ? AND field = ? ORDER BY key",
                       [source, field]).fetchall()
    return dict(rows)


def national(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every national figure (empty for a database written before national figures existed)."""
    if "national_observation" not in table_names(con):
        return pd.DataFrame(columns=NATIONAL_COLUMNS)
    return con.execute(
        "SELECT indicator, country, year, value, unit, source_name, source_url, licence, retrieved, note, file, "
        "line, imported_at FROM national_observation ORDER BY indicator, country, year, source_name").df()


def national_indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if "national_indicator" not in table_names(con):
        return pd.DataFrame(columns=NATIONAL_INDICATOR_COLUMNS)
    return con.execute("SELECT code, name, unit, area, file FROM national_indicator ORDER BY code").df()


def national_figures(con: duckdb.DuckDBPyConnection, countries: list[str], area: str | None) -> pd.DataFrame:
    """National figures of the given states, with the indicator's name and area (catalogue or declared); only those
    of one area when `area` is given."""
    if "national_observation" not in table_names(con):
        return pd.DataFrame(columns=["indicator", "indicator_name", "area", *NATIONAL_COLUMNS[1:]])
    return con.execute("""
        WITH names AS (
            SELECT i.code, i.name, string_agg(a.area, ', ' ORDER BY a.area) AS areas,
                   coalesce(list(a.area) FILTER (a.area IS NOT NULL), []) AS area_list
            FROM indicator i LEFT JOIN indicator_area a ON a.indicator = i.code GROUP BY i.code, i.name
            UNION ALL SELECT code, name, area, [area] FROM national_indicator)
        SELECT n.indicator, m.name AS indicator_name, m.areas AS area, n.country, n.year, n.value, n.unit,
               n.source_name, n.source_url, n.licence, n.retrieved, n.note, n.file, n.line, n.imported_at
        FROM national_observation n JOIN names m ON m.code = n.indicator
        WHERE list_contains(?, n.country) AND (? IS NULL OR list_contains(m.area_list, ?))
        ORDER BY m.areas, n.indicator, n.country, n.year""", [countries, area, area]).df()


def flows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every flow row (empty for a database written before flows existed)."""
    if "flow" not in table_names(con):
        return pd.DataFrame(columns=FLOW_COLUMNS)
    return con.execute(
        "SELECT origin, destination, year, students, source, vintage, listed_by, flags, retrieved_at FROM flow "
        "ORDER BY source, listed_by, origin, destination, year").df()


def flow_rows(con: duckdb.DuckDBPyConnection, first: int, last: int) -> pd.DataFrame:
    """The flows of [first, last], as the Cooperation page uses them (without the retrieval time)."""
    if "flow" not in table_names(con):
        return pd.DataFrame(columns=FLOW_COLUMNS[:-1])
    return con.execute("""
        SELECT origin, destination, year, students, source, vintage, listed_by, flags FROM flow
        WHERE year BETWEEN ? AND ? ORDER BY year, listed_by, origin, destination""", [first, last]).df()


def export_flows(con: duckdb.DuckDBPyConnection, sources: list[str]) -> pd.DataFrame:
    """Every flow of the given sources (the full downloads pass on only sources whose terms allow it)."""
    if "flow" not in table_names(con):
        return pd.DataFrame(columns=FLOW_COLUMNS[:-1])
    return con.execute("""
        SELECT origin, destination, year, students, source, vintage, listed_by, flags FROM flow
        WHERE list_contains(?, source) ORDER BY source, listed_by, origin, destination, year""", [sources]).df()


def flow_status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source and list: rows, list owners, years covered and vintage (for `python -m etl status`)."""
    if "flow" not in table_names(con):
        return pd.DataFrame(columns=["source", "listed_by", "rows", "countries", "first_year", "last_year",
                                     "vintage"])
    return con.execute("""
        SELECT source, listed_by, count(*) AS rows,
               count(DISTINCT CASE listed_by WHEN 'origin' THEN origin ELSE destination END) AS countries,
               min(year) AS first_year, max(year) AS last_year, any_value(vintage) AS vintage
        FROM flow GROUP BY source, listed_by ORDER BY source, listed_by""").df()


def runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT id, started, finished, source, status, rows, message FROM etl_run ORDER BY id").df()


# After a WITH that defines series_stats (or not, where the table exists). ETL runs are grouped per source and
# series they name before they meet the indicators, and met by equality: no string is split per pair.
_STATUS = """
    ok_runs AS (
        SELECT source, starts_with(message, 'all:') OR starts_with(message, 'flows/') AS every_series,
               split_part(message, ':', 1) AS series, max(finished) AS last_ok
        FROM etl_run WHERE status = 'ok' GROUP BY ALL
    ),
    loads AS (  -- runs that loaded the indicator itself or an input of it, or all of its source's series
        SELECT n.code AS indicator, r.last_ok
        FROM (SELECT code, source, unnest([code, numerator, denominator]) AS series FROM indicator) n
        JOIN ok_runs r ON r.source = n.source AND r.series = n.series
        UNION ALL
        SELECT i.code, r.last_ok FROM indicator i JOIN ok_runs r ON r.source = i.source AND r.every_series
    ),
    per_series AS (
        SELECT indicator, max(last_ok) AS last_ok FROM loads GROUP BY indicator
    )
    SELECT i.source, i.code AS indicator, coalesce(s.rows, 0) AS rows, coalesce(s.countries, 0) AS countries,
           s.first_year, s.last_year, s.vintage, p.last_ok AS last_run
    FROM indicator i
    LEFT JOIN series_stats s ON s.indicator = i.code
    LEFT JOIN per_series p ON p.indicator = i.code
    ORDER BY i.source, i.code"""


def status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source and indicator: rows, countries, years covered, vintage, and the last successful run that loaded
    the series (a build loads them all; a derived series counts the runs that loaded its inputs, a flow share the
    runs that loaded its source's flows)."""
    if "series_stats" not in table_names(con):  # written before the table existed: count over the observations
        return con.execute("WITH series_stats AS (" + SERIES_STATS + "), " + _STATUS).df()
    return con.execute("WITH " + _STATUS).df()


def latest_years(con: duckdb.DuckDBPyConnection, indicators: list[str] | tuple[str, ...],
                 countries: list[str] | tuple[str, ...], last: int) -> pd.DataFrame:
    """Latest year up to `last` with a value, per indicator and country (long form), for the given indicators and
    countries. Where the database holds more series than asked for, DuckDB skips the others' row groups (the table
    is sorted by indicator)."""
    return con.execute("""
        SELECT indicator, country, max(year) AS latest_year
        FROM observation WHERE list_contains(?, indicator) AND list_contains(?, country) AND year <= ?
        GROUP BY indicator, country""", [list(indicators), list(countries), last]).df()


def year_span(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    first, last = con.execute("SELECT min(year), max(year) FROM observation").fetchone()
    return int(first), int(last)


def series(con: duckdb.DuckDBPyConnection, indicators: list[str] | tuple[str, ...],
           countries: list[str] | tuple[str, ...], first: int, last: int) -> pd.DataFrame:
    """Observations of the given indicators and countries in [first, last], as published."""
    return con.execute("""
        SELECT indicator, country, year, value, source, vintage FROM observation
        WHERE list_contains(?, indicator) AND list_contains(?, country) AND year BETWEEN ? AND ?
        ORDER BY indicator, country, year""", [list(indicators), list(countries), first, last]).df()


def scaled_series(con: duckdb.DuckDBPyConnection, indicator: str, denominator: str, multiplier: float,
                  countries: list[str] | tuple[str, ...], first: int, last: int) -> pd.DataFrame:
    """indicator / denominator × multiplier for each country and year where both exist (and the denominator is
    not zero); the vintage names both series' vintages."""
    return con.execute("""
        SELECT o.indicator, o.country, o.year, o.value / d.value * ? AS value, o.source,
               o.vintage || '; ' || d.indicator || ' ' || d.vintage AS vintage
        FROM observation o JOIN observation d
          ON d.indicator = ? AND d.country = o.country AND d.year = o.year AND d.value <> 0
        WHERE o.indicator = ? AND list_contains(?, o.country) AND o.year BETWEEN ? AND ?
        ORDER BY o.country, o.year""", [multiplier, denominator, indicator, list(countries), first, last]).df()


def latest_values(con: duckdb.DuckDBPyConnection, indicators: list[str] | tuple[str, ...],
                  countries: list[str] | tuple[str, ...], first: int, last: int) -> pd.DataFrame:
    """Per indicator and country, the latest observation in [first, last] (with its year)."""
    return con.execute("""
        SELECT indicator, country, year, value, source, vintage FROM observation
        WHERE list_contains(?, indicator) AND list_contains(?, country) AND year BETWEEN ? AND ?
        QUALIFY row_number() OVER (PARTITION BY indicator, country ORDER BY year DESC) = 1
        ORDER BY indicator, country""", [list(indicators), list(countries), first, last]).df()


def export_observations(con: duckdb.DuckDBPyConnection, sources: list[str]) -> pd.DataFrame:
    """Every observation of the given sources with its indicator's name and unit, the country's name and the
    source's licence and citation (the full download passes on only sources whose terms allow it)."""
    return con.execute("""
        SELECT o.indicator, i.name AS indicator_name, i.unit, o.country, c.name AS country_name, o.year, o.value,
               o.source, s.licence, s.citation, o.vintage, o.retrieved_at
        FROM observation o JOIN indicator i ON i.code = o.indicator JOIN country c ON c.code = o.country
        JOIN source s ON s.id = o.source
        WHERE list_contains(?, o.source)
        ORDER BY o.indicator, o.country, o.year""", [sources]).df()


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def observation_count(con: duckdb.DuckDBPyConnection) -> int:
    """The number of observations, without database_summary's distinct counts over every row."""
    return con.execute("SELECT count(*) FROM observation").fetchone()[0]


def database_summary(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    rows, indicators, countries, first, last = con.execute(
        "SELECT count(*), count(DISTINCT indicator), count(DISTINCT country), min(year), max(year) "
        "FROM observation").fetchone()
    last_run = con.execute("SELECT max(finished) FROM etl_run WHERE status = 'ok'").fetchone()[0]
    return {"rows": rows, "indicators": indicators, "countries": countries, "first_year": first,
            "last_year": last, "last_run": last_run}
