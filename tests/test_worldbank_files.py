"""World Bank bulk downloads, built in the test with the format's quirks."""
import io
import zipfile

import pytest

from etl.importer import Batch, read_path
from etl.series import SourceError
from etl.sources.worldbank import decode, parse_bulk_csv
from tests.conftest import wdi_bulk_csv

ROWS = {"AZE": {1960: "0.21343", 1962: "1.5e-3"}, "KAZ": {1961: "221"}, "USA": {1960: "2.7"},
        "WLD": {1965: "2.0423418730211"}}


def _parse(raw: bytes, catalog, origin="API_GB.XPD.RSDV.GD.ZS_DS2_en_csv_v2_232.csv"):
    return parse_bulk_csv(decode(raw, origin), origin, catalog)


def test_bulk_csv_with_bom_preamble_trailing_comma_and_empty_cells(catalog):
    raw = wdi_bulk_csv("GB.XPD.RSDV.GD.ZS", "Research and development expenditure (% of GDP)", "2026-07-13", ROWS)
    [series] = _parse(raw, catalog)
    assert series.indicator == "GB.XPD.RSDV.GD.ZS" and series.vintage == "2026-07-13"
    got = {(r.country, r.year): r.value for r in series.data.itertuples()}
    assert got == {("AZE", 1960): 0.21343, ("AZE", 1962): 0.0015, ("KAZ", 1961): 221.0,
                   ("WLD", 1965): 2.0423418730211}
    assert series.skipped_countries == {"USA"}  # not in the catalogue: left out, and reported


@pytest.mark.parametrize("bom,newline", [(b"\xef\xbb\xbf", "\r\n"), (b"\xef\xbb\xbf", "\n"), (b"\xff", "\r\n"),
                                         (b"", "\n")])
def test_bom_variants_and_line_ends(catalog, bom, newline):
    raw = wdi_bulk_csv("SP.POP.TOTL", "Population, total", "2025-07-01", {"TKM": {1960: "1594711"}}, bom=bom,
                       newline=newline)
    [series] = _parse(raw, catalog)
    assert series.data["value"].tolist() == [1594711.0] and series.vintage == "2025-07-01"


def test_unknown_indicator_names_file_and_line(catalog):
    raw = wdi_bulk_csv("XX.UNKNOWN", "Unknown", "2026-01-01", {"AZE": {1960: "1"}})
    with pytest.raises(SourceError, match=r"API_X\.csv, line 6: indicator 'XX.UNKNOWN' is not in the catalogue"):
        _parse(raw, catalog, origin="API_X.csv")


def test_non_numeric_value_names_the_line(catalog):
    raw = wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28",
                       {"AZE": {1960: "12"}, "KAZ": {1961: "n/a"}})
    with pytest.raises(SourceError, match=r"line 7: value 'n/a' is not a number"):
        _parse(raw, catalog)


def test_missing_vintage_is_refused(catalog):
    raw = wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28", {"AZE": {1960: "12"}})
    text = decode(raw, "f").replace('"Last Updated Date","2026-01-28",', "")
    with pytest.raises(SourceError, match="no 'Last Updated Date'"):
        parse_bulk_csv(text, "f", catalog)


def test_truncated_row_is_refused(catalog):
    raw = wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28", {"AZE": {1960: "12"}})
    text = decode(raw, "f").rstrip().rsplit(",", 4)[0] + "\n"
    with pytest.raises(SourceError, match="truncated"):
        parse_bulk_csv(text, "f", catalog)


def test_empty_file(tmp_path, catalog):
    empty = tmp_path / "API_EMPTY.csv"
    empty.write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(SourceError, match="empty"):
        read_path(empty, catalog, Batch())


def test_zip_with_data_and_metadata_files(tmp_path, catalog):
    suffix = "_DS2_en_csv_v2_226"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"API_IP.PAT.RESD{suffix}.csv",
                    wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28",
                                 {"AZE": {1960: "221"}, "TUR": {1961: "165"}}))
        zf.writestr(f"Metadata_Indicator_API_IP.PAT.RESD{suffix}.csv",
                    '\ufeff"INDICATOR_CODE","INDICATOR_NAME","SOURCE_NOTE","SOURCE_ORGANIZATION",\n'
                    '"IP.PAT.RESD","Patent applications, residents","Applications filed by residents.","WIPO",\n')
        zf.writestr(f"Metadata_Country_API_IP.PAT.RESD{suffix}.csv",
                    '\ufeff"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\n'
                    '"AZE","Europe & Central Asia","Upper middle income","A note\nover two lines.","Azerbaijan",\n'
                    '"USA","North America","High income","","United States",\n')
    path = tmp_path / f"API_IP.PAT.RESD{suffix}.zip"
    path.write_bytes(buf.getvalue())
    batch = Batch()
    read_path(path, catalog, batch)
    [series] = batch.series
    assert series.rows == 2 and series.vintage == "2026-01-28"
    meta = batch.metadata_frame()
    assert set(meta["vintage"]) == {"2026-01-28"}  # taken from the data file of the same download
    rows = {(r.kind, r.key, r.field): r.value for r in meta.itertuples()}
    assert rows[("country", "AZE", "special_notes")] == "A note\nover two lines."
    assert rows[("indicator", "IP.PAT.RESD", "source_organization")] == "WIPO"
    assert not any(key == "USA" for _, key, _ in rows)


def test_corrupted_zip(tmp_path, catalog):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceError, match="broken.zip: is not a valid zip"):
        read_path(path, catalog, Batch())


def test_unrecognised_csv(tmp_path, catalog):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="notes.csv, line 1: not a recognised download"):
        read_path(path, catalog, Batch())


def test_a_year_column_in_other_digits_is_refused_by_line(catalog):
    """Regression (fuzzing): '²⁰²⁰'.isdigit() is True but int() refuses it, so a ValueError without file or line
    escaped parse_year."""
    raw = wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28", {"AZE": {1960: "1"}},
                       years=["1960", "²⁰²⁰"])
    with pytest.raises(SourceError, match=r"f.csv, line 5: '²⁰²⁰' is not a year"):
        parse_bulk_csv(decode(raw, "f.csv"), "f.csv", catalog)


def test_a_cell_over_the_csv_modules_limit_is_refused_by_line(tmp_path, catalog):
    """Regression (fuzzing): a cell over 131,072 characters raised csv.Error, with no file or line."""
    raw = wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28", {"AZE": {1960: "x" * 140_000}})
    with pytest.raises(SourceError, match=r"f.csv, line 6: is not readable as CSV: field larger than field limit"):
        parse_bulk_csv(decode(raw, "f.csv"), "f.csv", catalog)
    meta = tmp_path / "Metadata_Indicator_API_IP.PAT.RESD_DS2_en_csv_v2_226.csv"
    meta.write_text('"INDICATOR_CODE",' + "x" * 140_000 + "\n")  # the header line itself: a DictReader's line 0
    with pytest.raises(SourceError, match=r"Metadata_Indicator_API_IP.PAT.RESD_DS2_en_csv_v2_226.csv, line 1: is not"):
        read_path(meta, catalog, Batch())


MEMBER = "API_IP.PAT.RESD_DS2_en_csv_v2_226.csv"


def _zip_with_one_member() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(MEMBER, date_time=(2026, 1, 28, 0, 0, 0)),
                    wdi_bulk_csv("IP.PAT.RESD", "Patent applications, residents", "2026-01-28", {"AZE": {1960: "221"}}),
                    compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _central(z: bytes) -> int:
    return z.index(b"PK\x01\x02")


@pytest.mark.parametrize("damage, problem", [
    (lambda z: [(28, 1)], "Error -3 while decompressing"),  # local header's extra length: inflates the wrong bytes
    (lambda z: [(29, 255)], r"cannot be unpacked \(\)"),  # EOFError: the data ends early
    (lambda z: [(_central(z) + 6, 255)], "zip file version 25.5"),  # NotImplementedError, when opening
    (lambda z: [(_central(z) + 8, 1)], "is encrypted, password required"),  # RuntimeError
    (lambda z: [(z.index(b"PK\x05\x06") + 16, 255)], "Invalid argument"),  # OSError: a negative offset
    (lambda z: [(_central(z) + 9, 0x08), (_central(z) + 46, 0xFF)], "can't decode byte 0xff"),  # the UTF-8 flag on
    (lambda z: [(7, 0x08), (30, 0xFF)], "can't decode byte 0xff"),  # a name that is not: when opening, when reading
])
def test_a_damaged_zip_is_named(tmp_path, catalog, damage, problem):
    """Regression (fuzzing): bytes damaged in transfer raised zlib.error, EOFError, NotImplementedError,
    RuntimeError, OSError or UnicodeDecodeError from zipfile, a traceback through `python -m etl import`."""
    raw = bytearray(_zip_with_one_member())
    for at, value in damage(bytes(raw)):
        raw[at] = value
    path = tmp_path / "download.zip"
    path.write_bytes(bytes(raw))
    with pytest.raises(SourceError, match=problem) as err:
        read_path(path, catalog, Batch())
    assert err.value.origin in (f"{path}!{MEMBER}", str(path))  # the member, or the zip where it cannot be opened
