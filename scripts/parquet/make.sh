#!/bin/sh
# Rebuild testdata/parquet from the CSV test files with a pinned pyarrow in
# a venv of its own (scripts/parquet/.venv, not committed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi

"$venv/bin/python" "$here/make.py"
