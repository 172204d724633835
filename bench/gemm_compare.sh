#!/usr/bin/env bash
# Lathe's GEMM against OpenBLAS (numpy) on the same shapes, back to back, one shape at a time, so that both
# sides of each ratio see the same machine state. Each side warms up >= 10 calls and >= 3 s, then times 30
# calls (10 for the LM head's products) and reports the median; the two alternate ROUNDS times (default 3) and each keeps
# its best median, so a few seconds of load from a neighbour on a shared host does not decide the ratio.
#   [ROUNDS=3] bench/gemm_compare.sh [MxNxK[:ta][:tb] ...]   (default: 1024^3 and GPT-2 124M's shapes at 256 tokens,
#   the LM head's weight gradient included)
# Prints one line per shape: Lathe's and OpenBLAS's best median GFLOP/s, their ratio, and every round's medians.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHAPES=("$@")
[[ ${#SHAPES[@]} -gt 0 ]] || SHAPES=(1024x1024x1024:tb 256x2304x768:tb 256x3072x768:tb 256x768x3072:tb \
                                     768x2304x256:ta 256x50257x768:tb 50257x768x256:ta)
printf '%-20s %8s %9s %6s   %s\n' shape lathe openblas ratio 'rounds (lathe/openblas)'
for spec in "${SHAPES[@]}"; do
  IFS=x read -r m n k <<<"${spec%%:*}"
  ta=false; tb=false
  [[ "$spec" == *:ta* ]] && ta=true
  [[ "$spec" == *:tb* ]] && tb=true
  iters=30; [[ "$m" -gt 10000 || "$n" -gt 10000 ]] && iters=10
  lathe=(); blas=()
  for ((r = 0; r < ${ROUNDS:-3}; r++)); do
    lathe+=("$("$ROOT/lathe" bench gemm --m "$m" --n "$n" --k "$k" --trans-a "$ta" --trans-b "$tb" --iters "$iters" \
        --device cpu 2>/dev/null | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["gflops"])')")
    blas+=("$(python3 "$ROOT/bench/gemm_openblas.py" "$spec" | sed -n 's/.*median *[0-9.]* ms *\([0-9.]*\) GFLOP.*/\1/p')")
  done
  python3 - "$spec" "${lathe[*]}" "${blas[*]}" <<'PY'
import sys
spec, lathe, blas = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
rounds = " ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(lathe, blas))
print(f"{spec:20s} {max(lathe):8.1f} {max(blas):9.1f} {max(lathe) / max(blas):6.2f}   {rounds}")
PY
done
