#!/usr/bin/env bash
# The GPT-2 124M training step (batch 4 x 64, fp32, CPU) against its peers on the same machine, back to back:
# ./lathe bench train, PyTorch (bench/peers/pytorch_train_step.py) on the BLAS Debian installs by default and, when
# present, on OpenMP OpenBLAS, and llm.c's train_gpt2.c (bench/peers/llmc_train_step.py) when LLMC names a checkout.
# The sides alternate ROUNDS times (default 3) and each keeps its best median, so a few seconds of load from a
# neighbour on a shared host does not decide a ratio.
#   [ROUNDS=3] [LLMC=DIR] [PYTHON=/usr/bin/python3] bench/train_compare.sh
# Prints every run's JSON line as it finishes (stdout), then per side the best median, the peak RSS and Lathe's
# ratio to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
OMP_BLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
ARGS=(--preset gpt2-124m --batch-size 4 --seq-len 64 --steps 5)
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT

record() { # side, command...: runs it and appends "side <json>" from its last stdout line
  local side="$1" line
  shift
  line="$("$@" 2>/dev/null | tail -1)" || true
  [[ "$line" == \{* ]] || { echo "$side: no result (run it alone to see why)" >&2; return 0; }
  echo "$side $line" >>"$RESULTS"
  echo "$side $line"
  echo "$side $(sed 's/.*"ms_per_step": *\([0-9.]*\).*/\1/' <<<"$line") ms/step" >&2
}

for ((r = 0; r < ${ROUNDS:-3}; r++)); do
  echo "round $((r + 1))" >&2
  record lathe "$ROOT/lathe" bench train "${ARGS[@]}" --device cpu
  record pytorch "$PYTHON" "$ROOT/bench/peers/pytorch_train_step.py" "${ARGS[@]}"
  if [[ -d "$OMP_BLAS" ]]; then
    record pytorch-openmp-blas env LD_LIBRARY_PATH="$OMP_BLAS" "$PYTHON" "$ROOT/bench/peers/pytorch_train_step.py" "${ARGS[@]}"
  fi
  if [[ -n "${LLMC:-}" ]]; then
    record llm.c "$PYTHON" "$ROOT/bench/peers/llmc_train_step.py" --llmc "$LLMC" --steps 3
  fi
done

python3 - "$RESULTS" <<'PY'
import json, sys
runs = {}
for line in open(sys.argv[1]):
    side, js = line.split(" ", 1)
    runs.setdefault(side, []).append(json.loads(js))
best = {side: min(r["ms_per_step"] for r in rs) for side, rs in runs.items()}
print(f"{'side':22s} {'best ms/step':>12s} {'peak RSS GB':>11s} {'lathe/side':>10s}   every run's ms/step")
for side, rs in runs.items():
    rss = max(r.get("peak_rss_bytes", 0) for r in rs) / 1e9
    ratio = best["lathe"] / best[side] if "lathe" in best else float("nan")
    every = " ".join(f"{r['ms_per_step']:.0f}" for r in rs)
    print(f"{side:22s} {best[side]:12.0f} {rss:11.2f} {ratio:10.2f}   {every}")
PY
