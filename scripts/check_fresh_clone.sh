#!/usr/bin/env bash
# The newcomer's path, proved: clone HEAD into a new folder beside ../shared, then run the README's
# commands there with nothing installed by hand (a new .venv; apt packages via the Makefile).
#   scripts/check_fresh_clone.sh [smoke|full]     (default smoke: `make smoke` instead of `make report`)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
profile="${1:-smoke}"
dest="$(dirname "$here")/fresh-clone-check"        # beside the checkout, so ../shared/hw5data is found
rm -rf "$dest"
git clone -q "$here" "$dest"
cd "$dest"
start=$(date +%s)
if [ "$profile" = full ]; then make report; else make smoke; fi
make test
test -s build/report.pdf && test -s build/report.html && test -s build/results.json
echo "fresh clone OK in $(( $(date +%s) - start )) s: $dest"
