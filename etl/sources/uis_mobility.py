"""UNESCO Institute for Statistics (UIS) internationally mobile tertiary students, as 360info tidied them into each
country's largest partners (github.com/360-info/report-global-education, `data/popular-*.csv`).

Two tables, recognised by their header line; each row is one entry of one country's list for one year:

* destinations by origin, `year,origin_country_name,dest_country_lumped,value_lumped,cond_all`: an origin's ten
  largest destinations, the rest summed as "Other countries" (stored with listed_by = 'origin');
* origins by destination, `year,dest_country_name,origin_country_lumped,value_lumped,cond_all`: a host's ten largest
  origins plus "Other countries" (listed_by = 'destination').

Quirks (shared/data/PROVENANCE.md): ties at the tenth place name more than ten partners; a few counts are not whole
numbers (`1391.3333299999997`) and are kept as written; names are 360info's short forms ("Turkey", "Russia", "Iran");
the remainders "Other countries", "Asia: unknown countries" and "Europe: unknown countries" are partners declared as
groups in flows.toml; `cond_all` holds the UIS qualifiers as four space-separated characters, a b c d for INCLUDES,
INCLUDED, NAT_EST (national estimate) and UIS_EST (UIS estimate), `-` where absent. The files carry no date, so the
vintage is "undated (data to <last year>)", as for OWID files without metadata.

A list whose owner (the second column) is not a state of countries.toml is left out and named in a note: the
publisher's full tables list every country's. A partner that is neither one of our states nor a partner declared in
flows.toml is an error naming the line, so a new name is declared once in the catalogue, never guessed.
"""
from __future__ import annotations

import pandas as pd

from etl.series import (
    Flows,
    Parsed,
    SourceError,
    csv_records,
    files_by_kind,
    header_cells,
    parse_number,
    parse_year,
)
from sti.catalog import Catalog

SOURCE = "uis_mobility"
HEADERS = {
    "origin": ["year", "origin_country_name", "dest_country_lumped", "value_lumped", "cond_all"],
    "destination": ["year", "dest_country_name", "origin_country_lumped", "value_lumped", "cond_all"],
}
FLAGS = ("INCLUDES", "INCLUDED", "NAT_EST", "UIS_EST")  # the UIS qualifiers, in cond_all's order a b c d
LETTERS = "abcd"
COLUMNS = ["origin", "destination", "year", "students", "flags"]


def _kind(header: list[str]) -> str:
    return next((kind for kind, expected in HEADERS.items() if header == expected), "")


def recognise(name: str, text: str) -> bool:
    return bool(_kind(header_cells(text)))


def _flags(text: str, origin: str, line: int) -> str:
    tokens = text.split()
    if len(tokens) != len(FLAGS) or any(t not in ("-", LETTERS[i]) for i, t in enumerate(tokens)):
        raise SourceError(origin, f"cond_all {text!r} is not the four UIS qualifiers 'a b c d' ('-' where absent)",
                          line)
    return " ".join(flag for flag, token in zip(FLAGS, tokens) if token != "-")


def _records(text: str, origin: str, kind: str, catalog: Catalog, skipped: set[str]) -> list[tuple]:
    records: list[tuple] = []
    seen: dict[tuple[int, str, str], int] = {}
    for line, row in csv_records(text, origin):
        year = parse_year(row[0], origin, line)
        owner_name, partner_name = row[1], row[2]
        if not owner_name or not partner_name:
            raise SourceError(origin, "a country name is empty", line)
        owner = catalog.resolve_country(None, owner_name)
        if owner is None:
            skipped.add(owner_name)
            continue
        partner = catalog.resolve_partner(partner_name)
        if partner is None:
            raise SourceError(origin, f"partner {partner_name!r} is neither a state of countries.toml nor a partner "
                                      "of flows.toml: declare it there (its ISO3 code and name)", line)
        if partner == owner:
            raise SourceError(origin, f"{owner_name} is listed as its own partner", line)
        if not row[3]:
            raise SourceError(origin, f"{owner_name} – {partner_name} {year} has no count", line)
        students = parse_number(row[3], origin, line)
        if students < 0:
            raise SourceError(origin, f"count {row[3]!r} is negative", line)
        first = seen.setdefault((year, owner, partner), line)
        if first != line:
            raise SourceError(origin, f"{partner_name} appears twice in {owner_name}'s list for {year} (first on "
                                      f"line {first})", line)
        pair = (owner, partner) if kind == "origin" else (partner, owner)
        records.append((*pair, year, students, _flags(row[4], origin, line)))
    return records


def parse(files: list[tuple[str, str]], catalog: Catalog) -> Parsed:
    by_kind = files_by_kind(files, _kind, "the header is neither 360info's destinations-by-origin "
                            f"'{','.join(HEADERS['origin'])}' nor its origins-by-destination table",
                            "a second table of {kind}s' lists (the first is {first}): import one")
    parsed = Parsed()
    for kind, (origin, text) in by_kind.items():
        skipped: set[str] = set()
        records = _records(text, origin, kind, catalog, skipped)
        if skipped:
            parsed.notes.append(f"{origin}: lists of countries outside the catalogue, not loaded: "
                                f"{', '.join(sorted(skipped)[:10])}" + (" …" if len(skipped) > 10 else ""))
        if not records:
            continue
        data = pd.DataFrame.from_records(records, columns=COLUMNS).astype(
            {"origin": "string", "destination": "string", "year": "int64", "students": "float64",
             "flags": "string"})
        parsed.flows.append(Flows(source=SOURCE, listed_by=kind, vintage=f"undated (data to {data['year'].max()})",
                                  data=data, origin=origin, skipped_countries=frozenset(skipped)))
    return parsed
