"""Read-only connections always read the file that is at the path now, even while older connections stay open."""
import os

import duckdb

from sti.db import connect_readonly, readonly_cursor


def _make(path, value):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT ? AS x", [value])
    con.close()


def test_a_swapped_in_file_is_read_while_a_connection_to_the_old_one_is_open(tmp_path):
    path = tmp_path / "sti.duckdb"
    _make(path, 1)
    old = connect_readonly(path)
    assert old.execute("SELECT x FROM t").fetchone() == (1,)
    _make(tmp_path / "new.duckdb", 2)
    os.replace(tmp_path / "new.duckdb", path)
    new = connect_readonly(path)
    assert new.execute("SELECT x FROM t").fetchone() == (2,)  # duckdb.connect(path) here would still give 1
    assert readonly_cursor(new).execute("SELECT x FROM t").fetchone() == (2,)
    assert old.execute("SELECT x FROM t").fetchone() == (1,)  # sessions on the old file keep working
    old.close()
    new.close()


def test_the_connection_cannot_write(tmp_path):
    path = tmp_path / "sti.duckdb"
    _make(path, 1)
    con = connect_readonly(path)
    try:
        con.execute("INSERT INTO t VALUES (3)")
    except duckdb.Error as exc:
        assert "read-only" in str(exc).lower()
    else:
        raise AssertionError("a read-only connection accepted a write")
    finally:
        con.close()
