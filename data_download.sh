#!/usr/bin/env bash
# Fetch the public sample data into the kit's cache (hash-checked; cached files are skipped).
#   ./data_download.sh --list                 what there is
#   ./data_download.sh --only dance_stage     one dataset
#   ./data_download.sh --mirror DIR           copy from a local folder (or set R2A_MIRROR)
set -euo pipefail
cd "$(dirname "$0")"
exec ./kit python -m r2a_utils.data "$@"
