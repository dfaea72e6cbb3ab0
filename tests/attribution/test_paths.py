"""The path-file format: reading what web analytics export, and every bad input named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from revframe.attribution.journeys import from_paths
from revframe.attribution.paths import path_rows, read_paths, write_paths
from revframe.errors import UsageError

HEADER = "path;total_conversions;total_conversion_value;total_null\n"


def write(tmp_path: Path, text: str, name: str = "paths.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_semicolons_spaces_and_sums(tmp_path: Path) -> None:
    j = read_paths(
        write(tmp_path, HEADER + "email > paid search;2;300;5\npaid search;1;50;0\nemail>paid search;1;0;1\n")
    )
    assert j.paths() == [["email", "paid search"], ["paid search"], ["email", "paid search"]]
    assert j.channels == ["email", "paid search"]  # spaces inside a name kept, around it dropped
    assert j.conversions.tolist() == [2, 1, 1] and j.value.tolist() == [300, 50, 0] and j.nulls.tolist() == [5, 0, 1]


def test_commas_quotes_and_optional_columns(tmp_path: Path) -> None:
    j = read_paths(write(tmp_path, 'path,total_conversions\n"events, EMEA>email",3\n'))
    assert j.paths() == [["events, EMEA", "email"]] and j.value.tolist() == [0] and j.nulls.tolist() == [0]
    assert any("no total_conversion_value" in n for n in j.notes)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("email;-1;0;0\n", r"paths.csv:2: total_conversions -1 is negative"),
        ("email;2;0;-3\n", r"paths.csv:2: total_null -3 is negative"),
        ("email;two;0;0\n", r"paths.csv:2: total_conversions 'two' is not a number"),
        ("email;1;abc;0\n", r"paths.csv:2: total_conversion_value 'abc' is not a number"),
        ("email;nan;0;0\n", r"paths.csv:2: total_conversions 'nan' is not a finite number"),
        ("email;1;0;0\n;3;0;0\n", r"paths.csv:3: empty path"),
        ("email>>search;1;0;0\n", r"paths.csv:2: path 'email>>search' has an empty channel name"),
        ("email>;1;0;0\n", r"paths.csv:2: .* has an empty channel name"),
        ("email;1;0\n", r"paths.csv:2: 3 fields, the header has 4"),
        ("email;0;100;0\n", r"paths.csv:2: total_conversion_value 100 without conversions"),
        ("email;0;0;0\n", r"paths.csv: no path with conversions or nulls"),
    ],
)
def test_bad_rows(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        read_paths(write(tmp_path, HEADER + body))


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_paths(tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="empty file"):
        read_paths(write(tmp_path, ""))
    with pytest.raises(UsageError, match=r"paths.csv:1: no column total_conversions"):
        read_paths(write(tmp_path, "path;conversions\nemail;1\n"))


def test_rows_without_conversions_or_nulls_are_skipped_and_said(tmp_path: Path) -> None:
    j = read_paths(write(tmp_path, HEADER + "email;0;0;0\nsearch;1;10;0\n"))
    assert j.paths() == [["search"]] and j.notes == ["1 row(s) with no conversions and no nulls skipped"]


def test_round_trip(tmp_path: Path) -> None:
    j = from_paths([["a b", "c"], ["c"], ["a b", "c"]], [1, 2, 3], [10, 20, 30], [4, 5, 6])
    out = tmp_path / "out.csv"
    write_paths(path_rows(j), out)
    back = read_paths(out)
    assert back.paths() == [["a b", "c"], ["c"]]  # the same path once, summed
    assert back.conversions.tolist() == [4, 2] and back.value.tolist() == [40, 20] and back.nulls.tolist() == [10, 5]


def test_a_channel_holding_the_separator_cannot_be_written() -> None:
    with pytest.raises(UsageError, match="channel 'a>b' cannot be written"):
        path_rows(from_paths([["a>b"]], [1]))


def test_public_surface() -> None:
    import revframe.attribution as a

    assert len(set(a.__all__)) == len(a.__all__) and not any(n.startswith("_") for n in a.__all__)
    for name in a.__all__:
        assert getattr(a, name) is not None
