#!/usr/bin/env bash
# Runs the whole suite, then the linters, and ends with one summary line
# (`tests: N passed, N failed`) so the result is the last thing printed.
# Exits non-zero when a test or a linter failed.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

cargo="${CARGO:-cargo}"
"$cargo" test 2>&1 | tee "$log"
tests_status=${PIPESTATUS[0]}

lint_status=0
"$cargo" fmt --all -- --check || lint_status=$?
"$cargo" clippy --all-targets -- -D warnings || lint_status=$?

# Each test binary ends with `test result: ... N passed; N failed; ...`.
read -r passed failed < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log" |
    awk '{p += $1; f += $2} END {print p + 0, f + 0}')
if [ "$tests_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The build or a test binary broke before reporting.
    failed=1
fi
[ "$lint_status" -eq 0 ] && echo "lint: clean" || echo "lint: FAILED (rustfmt or clippy above)"
echo "tests: $passed passed, $failed failed"
[ "$tests_status" -eq 0 ] && [ "$lint_status" -eq 0 ]
