"""Write the parquet test files from the real nflverse CSV files.

nflverse publishes every release file as parquet too. This script rebuilds
small parquet copies of the repository's CSV test files so that the Go
reader can be checked against the CSV reader on the same data. Types follow
nflverse's R writers: integer columns are int32, other numbers are double,
text is string, date_modified is a UTC timestamp and birth_date is a date.
An empty CSV field (NA in nflverse's CSV files) becomes a parquet null.

Run it with scripts/parquet/make.sh, which creates a venv with the pinned
pyarrow. Output goes to testdata/parquet/<tag>/<file>.parquet, the layout of
nflverse's release assets. Data: nflverse (https://github.com/nflverse),
CC BY 4.0.
"""

import csv
import datetime
import gzip
import io
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = ROOT / "testdata"
TARGET = ROOT / "testdata" / "parquet"

# (source CSV, target parquet, rows per row group). Several row groups in
# the stats file check that the Go reader keeps file order across them.
FILES = [
    ("nflverse/stats_player/stats_player_week_2024.csv.gz", "stats_player/stats_player_week_2024.parquet", 5000),
    ("replay/2024/games.csv", "schedules/games.parquet", None),
    ("nflverse/rosters/roster_2024.csv", "rosters/roster_2024.parquet", None),
    ("nflverse/injuries/injuries_2024.csv", "injuries/injuries_2024.parquet", None),
]

# Columns that stay text even when every value looks like a number: ids
# lose their meaning (and leading zeros) as numbers.
TEXT_COLUMNS = {"jersey_number", "gsis_it_id", "draft_number", "old_game_id", "gsis", "nfl_detail_id"}

TIMESTAMP_COLUMNS = {"date_modified"}
DATE_COLUMNS = {"birth_date"}

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def read_csv(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    return header, rows


def is_int(value):
    if value.startswith("-"):
        value = value[1:]
    return value.isdigit() and (value == "0" or not value.startswith("0"))


def is_number(value):
    try:
        float(value)
    except ValueError:
        return False
    return value.strip() == value and value.lower() not in ("nan", "inf", "-inf", "infinity")


def column_array(name, values):
    present = [v for v in values if v != ""]
    if name in TIMESTAMP_COLUMNS:
        parsed = [None if v == "" else datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc) for v in values]
        return pa.array(parsed, type=pa.timestamp("us", tz="UTC"))
    if name in DATE_COLUMNS:
        parsed = [None if v == "" else datetime.date.fromisoformat(v) for v in values]
        return pa.array(parsed, type=pa.date32())
    numeric = name not in TEXT_COLUMNS and not name.endswith("_id") and present and all(is_number(v) for v in present)
    if numeric and all(is_int(v) and INT32_MIN <= int(v) <= INT32_MAX for v in present):
        return pa.array([None if v == "" else int(v) for v in values], type=pa.int32())
    if numeric:
        return pa.array([None if v == "" else float(v) for v in values], type=pa.float64())
    return pa.array([None if v == "" else v for v in values], type=pa.string())


def convert(source, target, row_group_size):
    header, rows = read_csv(source)
    columns = list(zip(*rows)) if rows else [[] for _ in header]
    table = pa.table({name: column_array(name, list(values)) for name, values in zip(header, columns)})
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="snappy", row_group_size=row_group_size)
    print(f"{target.relative_to(ROOT)}: {table.num_rows} rows, {target.stat().st_size} bytes")


def main():
    for source, target, row_group_size in FILES:
        convert(SOURCE / source, TARGET / target, row_group_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
