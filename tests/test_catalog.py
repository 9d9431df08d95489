import re
import shutil
from pathlib import Path

import pytest

from sti.catalog import AREA_IDS, CatalogError, load_catalog
from sti import settings


def test_areas_are_the_eleven_in_framework_order(catalog):
    assert [a.id for a in catalog.areas] == list(AREA_IDS) == [
        "rd", "research", "digital", "ecosystem", "investment", "sme", "metrology", "safety", "standards",
        "industry", "space"]
    for area in catalog.areas:
        assert area.name and len(area.description) > 40


def test_named_milestones_are_tracked(catalog):
    titles = {a.id: " ".join(m.title for m in a.milestones) for a in catalog.areas}
    assert "TURKMET" in titles["metrology"]
    assert "CTPO" in titles["industry"]
    space = {(m.date, m.status) for m in catalog.area("space").milestones}
    assert ("2024", "held") in space and any(d == "2025" for d, _ in space)
    for area in catalog.areas:
        for m in area.milestones:
            assert m.source in {s.id for s in catalog.sources}


def test_countries_roles_and_colours(catalog):
    roles = {c.code: c.role for c in catalog.countries}
    assert [c for c, r in roles.items() if r == "member"] == ["AZE", "KAZ", "KGZ", "TUR", "UZB"]
    assert {c for c, r in roles.items() if r == "observer"} == {"HUN", "TKM", "XNC"}
    assert {c for c, r in roles.items() if r == "benchmark"} == {"WLD", "ECS", "EUU", "OED", "UMC"}
    assert {c for c, r in roles.items() if r == "neighbour"} == {"RUS", "CHN", "IRN", "GEO", "MNG"}
    trnc = catalog.country("XNC")
    assert not trnc.has_data and "no international" in trnc.note.lower()
    colours = [c.colour for c in catalog.countries]
    assert len(set(colours)) == len(colours)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours)


def test_every_indicator_has_unit_source_licence_and_an_area(catalog):
    sources = {s.id: s for s in catalog.sources}
    for ind in catalog.indicators:
        assert ind.unit and ind.definition and ind.name, ind.code
        assert sources[ind.source].licence and sources[ind.source].citation, ind.code
        if ind.kind == "context":
            assert not ind.areas and not ind.scored, ind.code
        else:
            assert ind.areas and set(ind.areas) <= set(AREA_IDS), ind.code


def test_areas_without_indicators_say_so(catalog):
    for area in catalog.areas:
        if not catalog.indicators_for_area(area.id):
            assert area.no_indicator_note, area.id
    assert {a.id for a in catalog.areas if not catalog.indicators_for_area(a.id)} == {"safety"}  # 10 of 11 have a series


def test_derived_indicators_declare_their_formula(catalog):
    derived = {i.code: i.derived for i in catalog.indicators if i.derived}
    assert derived["STI.PAT.RESD.P6"].formula == "IP.PAT.RESD / SP.POP.TOTL × 1e+06"
    assert derived["STI.JRN.ARTC.P6"].numerator == "IP.JRN.ARTC.SC"
    assert {d.denominator for d in derived.values()} == {"SP.POP.TOTL", "NCSES.ART.TOT"}
    assert derived["STI.ART.INTL.ZS"].multiplier == 100


def test_counts_are_scored_only_through_a_per_capita_form(catalog):
    for code in ("IP.PAT.RESD", "IP.JRN.ARTC.SC", "IT.NET.SECR", "TX.VAL.TECH.CD", "IC.BUS.NREG"):
        assert not catalog.indicator(code).scored


def test_every_raw_series_is_in_the_catalogue(catalog, shared):
    for path in sorted((shared / "data/raw/wdi").glob("*.csv")):
        if path.name.startswith("Metadata_"):
            continue
        text = path.read_bytes().decode("latin-1")
        codes = set(re.findall(r'^"[^"]*","[A-Z0-9]{3}","[^"]*","([A-Z0-9.]+)"', text, re.M))
        assert codes, path.name
        for code in codes:
            assert catalog.by_source_code("worldbank", code), f"{code} from {path.name}"
    for path in sorted((shared / "data/raw/owid").glob("*.csv")):
        assert catalog.by_source_code("owid", path.stem), path.name


def test_resolves_publisher_names_and_codes(catalog):
    assert catalog.resolve_country(None, "Turkey") == "TUR"
    assert catalog.resolve_country("OWID_WRL", "World") == "WLD"
    assert catalog.resolve_country("", "Europe and Central Asia (WB)") == "ECS"
    assert catalog.resolve_country("XT") == "UMC"
    assert catalog.resolve_country("USA", "United States") is None


# --- validation errors name file, entry and field ------------------------------------------------------------------

@pytest.fixture
def catalog_copy(tmp_path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(settings.CATALOG_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("file,old,new,entry,field", [
    ("indicators.toml", 'unit = "% of GDP"\n', "", "GB.XPD.RSDV.GD.ZS", "unit"),
    ("indicators.toml", 'areas = ["rd"]', 'areas = ["moon"]', "GB.XPD.RSDV.GD.ZS", "areas"),
    ("indicators.toml", 'areas = ["rd"]', "areas = []", "GB.XPD.RSDV.GD.ZS", "areas"),
    ("indicators.toml", 'source = "worldbank"', 'source = "nobody"', "GB.XPD.RSDV.GD.ZS", "source"),
    ("indicators.toml", "higher_is_better = true", 'higher_is_better = "yes"', "GB.XPD.RSDV.GD.ZS",
     "higher_is_better"),
    ("indicators.toml", 'denominator = "SP.POP.TOTL"', 'denominator = "SP.POP.NONE"', "STI.JRN.ARTC.P6",
     "derived.denominator"),
    ("countries.toml", 'colour = "#E69F00"', 'colour = "orange"', "KAZ", "colour"),
    ("countries.toml", 'colour = "#E69F00"', 'colour = "#0072B2"', "KAZ", "colour"),
    ("countries.toml", 'role = "member"', 'role = "friend"', "AZE", "role"),
    ("sources.toml", 'licence = "CC BY 4.0"', "", "worldbank", "licence"),
    ("areas.toml", 'status = "planned"', 'status = "maybe"', "research milestone #1", "status"),
    ("areas.toml", 'id = "space"', 'id = "moon"', "moon", "id"),
    ("areas.toml", 'date = "2024"', 'date = "sometime soon"', "rd milestone #1", "date"),
    ("indicators.toml", 'source_code = "IT.NET.SECR"\n', 'source_code = "IT.NET.SECR.P6"\n', "IT.NET.SECR",
     "source_code"),
    ("indicators.toml", 'higher_is_better = true\nscored = true', 'scored = true', "GB.XPD.RSDV.GD.ZS",
     "higher_is_better"),
    ("indicators.toml", 'flow_share = "outbound"', 'flow_share = "sideways"', "STI.MOB.OTS.OUT.ZS", "flow_share"),
    ("indicators.toml", 'flow_share = "outbound"', 'flow_share = "outbound"\nscored = true\nhigher_is_better = true',
     "STI.MOB.OTS.OUT.ZS", "flow_share"),
    ("sources.toml", 'licence = "CC BY-SA 3.0 IGO"', "", "uis_mobility", "licence"),
    ("flows.toml", 'source = "uis_mobility"', 'source = "nobody"', "flows", "source"),
    ("flows.toml", "default_year = 2019", "default_year = 2030", "flows", "default_year"),
    ("flows.toml", 'context = ["RUS"]', 'context = ["ATL"]', "flows", "context"),
    ("flows.toml", "other_destinations = 5", "other_destinations = -1", "flows", "other_destinations"),
    ("flows.toml", 'code = "UKR"', 'code = "RUS"', "RUS", "code"),
    ("flows.toml", 'code = "UKR"', 'code = "USA"', "USA", "code"),
    ("flows.toml", 'code = "XOT"', 'code = "OTH"', "OTH", "code"),
    ("flows.toml", 'name = "Ukraine"', 'name = "Ukraine"\naliases = ["Russia"]', "UKR", "aliases"),
])
def test_validation_errors_name_file_entry_and_field(catalog_copy, file, old, new, entry, field):
    _edit(catalog_copy / file, old, new)
    with pytest.raises(CatalogError) as err:
        load_catalog(catalog_copy)
    assert (err.value.file, err.value.entry, err.value.field) == (file, entry, field)
    assert file in str(err.value) and entry in str(err.value) and field in str(err.value)


def test_area_with_indicators_cannot_claim_to_have_none(catalog_copy):
    _edit(catalog_copy / "areas.toml", 'name = "Space technologies"\n',
          'name = "Space technologies"\nno_indicator_note = "none"\n')
    with pytest.raises(CatalogError, match="space.*indicator_note instead"):
        load_catalog(catalog_copy)


def test_area_without_indicator_must_have_a_note(catalog_copy):
    text = (catalog_copy / "areas.toml").read_text(encoding="utf-8")
    text = re.sub(r'no_indicator_note = "No international statistical series compares market[^\n]*\n', "", text)
    (catalog_copy / "areas.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="safety.*no_indicator_note"):
        load_catalog(catalog_copy)


def test_invalid_toml_names_the_file(catalog_copy):
    (catalog_copy / "sources.toml").write_text("[[source]\nid = ", encoding="utf-8")
    with pytest.raises(CatalogError, match="sources.toml.*not valid TOML"):
        load_catalog(catalog_copy)


def test_student_flow_partners_and_settings(catalog):
    assert catalog.resolve_partner("Turkey") == "TUR" and catalog.resolve_partner("Russia") == "RUS"
    assert catalog.resolve_partner("United States") == "USA" and catalog.resolve_partner("Narnia") is None
    assert catalog.resolve_partner("Other countries") == "XOT"
    assert catalog.group_codes() == {"XOT", "XAS", "XEU"}
    assert catalog.resolve_country("USA", "United States") is None  # partners are not states of the monitor
    assert catalog.flows.first_year <= catalog.flows.default_year == 2019 <= catalog.flows.last_year
    uis = catalog.source("uis_mobility")
    assert uis.licence == "CC BY-SA 3.0 IGO" and uis.redistribute  # share-alike allows passing it on, under it
    assert uis.licence_note.startswith("Share-alike") and "360info" in uis.citation
    shares = [i for i in catalog.indicators if i.flow_share]
    assert {i.flow_share for i in shares} == {"outbound", "inbound"}
    assert all(i.computed and not i.scored and set(i.areas) == {"rd", "research"} for i in shares)
    assert not catalog.indicators_from("uis_mobility")  # computed, never published as such
