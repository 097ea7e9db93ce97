#!/usr/bin/env bash
# Runs every test file under test/ with node's own test runner. Node 20 neither expands globs nor finds .ts files by
# itself, so the files are listed here. Extra arguments (e.g. a file list) replace the default set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
# A test that hangs fails after five minutes instead of holding CI until its limit.
exec node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
