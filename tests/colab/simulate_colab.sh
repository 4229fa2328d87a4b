#!/usr/bin/env bash
# Simulated Colab check (issue 17), run by hand, not by CI (it downloads torch for Python 3.12):
#   a fresh Python 3.12 venv with numpy 2 and torch preinstalled first, as on Colab's runtime;
#   a stub google.colab imported at start, as Colab does;
#   every notebook's first cell without R2A_REPO_URL (must stop with the instruction), then
#   with R2A_REPO_URL pointing at a local clone (installs the pinned set, restarts once),
#   then notebook 05 top to bottom in smoke mode in the restarted "runtime".
# Usage: tests/colab/simulate_colab.sh [VENV]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${1:-/tmp/r2a-colab}"
PY=$(command -v python3.12 || ls /root/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
[[ -x "$PY" ]] || { echo "simulate_colab: python3.12 not found" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "numpy>=2,<2.3" torch==2.14.1 torchvision==0.29.1 ipykernel
fi
SITE=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
mkdir -p "$SITE/google/colab"
: > "$SITE/google/__init__.py"
cat > "$SITE/google/colab/__init__.py" <<'PY'
"""Stub of Colab's module for the simulated check: only what the kit calls."""
PY
cat > "$SITE/google/colab/output.py" <<'PY'
def serve_kernel_port_as_iframe(port, height=400):
    print(f"[colab stub] would show port {port} inline ({height} px)")
PY
echo "import google.colab  # Colab imports it at start" > "$SITE/sitecustomize.py"

WORK=$(mktemp -d)
git clone -q "$ROOT" "$WORK/origin"  # what R2A_REPO_URL points at: a clone of this repository
export R2A_KIT_DIR="$WORK/content/real2animation"
cell() { "$VENV/bin/python" -c "import json,sys; nb=json.load(open(sys.argv[1])); \
print(next(''.join(c['source']) for c in nb['cells'] if c['cell_type']=='code'))" "$1"; }

echo "== numpy before: $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)')"
for nb in "$ROOT"/notebooks/0*.ipynb; do
  set +e; out=$(cd "$WORK" && env -u R2A_REPO_URL "$VENV/bin/python" -c "$(cell "$nb")" 2>&1); rc=$?; set -e
  [[ $rc != 0 && "$out" == *"R2A_REPO_URL"* ]] || { echo "FAIL $(basename "$nb"): no clear stop without R2A_REPO_URL ($rc): $out"; exit 1; }
done
echo "== without R2A_REPO_URL: every first cell stops with the instruction"
t0=$SECONDS
set +e; (cd "$WORK" && R2A_REPO_URL="$WORK/origin" "$VENV/bin/python" -c "$(cell "$ROOT/notebooks/05_full_pipeline_demo.ipynb")"); rc=$?; set -e
echo "== first cell with R2A_REPO_URL: exit $rc after $((SECONDS - t0)) s (137/-9 = the runtime restarted itself)"
[[ $rc == 137 ]] || { echo "FAIL: expected the restart"; exit 1; }
echo "== numpy after: $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)'); torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
for nb in "$ROOT"/notebooks/0*.ipynb; do  # after the restart the first cell only moves into the kit
  (cd "$WORK" && R2A_REPO_URL="$WORK/origin" "$VENV/bin/python" -c "$(cell "$nb"); import os; assert os.getcwd().endswith('notebooks')")
done
echo "== after the restart: every first cell is a quick no-op"
t0=$SECONDS
(cd "$R2A_KIT_DIR/notebooks" && R2A_SMOKE=1 R2A_OUTPUT="$WORK/outputs" "$VENV/bin/python" -m papermill \
  05_full_pipeline_demo.ipynb "$WORK/05_out.ipynb" -k python3 --log-level WARNING)
echo "== notebook 05 in smoke mode on the simulated Colab: passed in $((SECONDS - t0)) s"
"$VENV/bin/python" -c "import json; print(json.load(open('$WORK/outputs/05_full_pipeline_demo/metrics.json')))"
