"""OpenBLAS peer for `./lathe bench gemm` and GemmBenchmark: numpy float32 matmul on the same shapes.

Each product runs untimed calls until at least 10 calls and 3 s have passed, then 30 timed ones (fewer for the
LM head), the same protocol as `bench gemm`; the line gives the median and the best. transA=true multiplies by the transpose of a [k, m] array (a weight gradient's xᵀ),
transB=true by the transpose of an [n, k] array (a PyTorch [out, in] weight).

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/gemm_openblas.py [MxNxK[:ta][:tb] ...]
(without shapes: the list below)
"""
import statistics
import sys
import time

import numpy as np

# GPT-2 124M at batch 4 x 64 (N = 256 rows): the qkv / fc products, the MLP's down projection, a weight
# gradient (xᵀ g), the LM head; ":ta" / ":tb" mark transA / transB as for `./lathe bench gemm`.
DEFAULT_SHAPES = ["1024x1024x1024:tb", "256x2304x768:tb", "256x3072x768:tb", "256x768x3072:tb", "768x2304x256:ta",
                  "256x50257x768:tb", "50257x768x256:ta"]


def run(shape, trans_a, trans_b, warmup=10, warmup_seconds=3.0, iters=30):
    m, n, k = map(int, shape.split("x"))
    rng = np.random.default_rng(42)
    a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    a_op = a.T if trans_a else a
    b_op = b.T if trans_b else b
    c = np.empty((m, n), dtype=np.float32)
    start, warmed = time.perf_counter(), 0
    while warmed < warmup or time.perf_counter() - start < warmup_seconds:
        np.matmul(a_op, b_op, out=c)
        warmed += 1
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        np.matmul(a_op, b_op, out=c)
        times.append(time.perf_counter() - t0)
    median, best = statistics.median(times), min(times)
    flop = 2 * m * n * k
    print(f"{shape:16s} transA={str(trans_a).lower():5s} transB={str(trans_b).lower():5s} "
          f"median {median * 1e3:8.2f} ms {flop / median / 1e9:6.1f} GFLOP/s   "
          f"best {best * 1e3:8.2f} ms {flop / best / 1e9:6.1f} GFLOP/s", flush=True)


for spec in sys.argv[1:] or DEFAULT_SHAPES:
    shape, *flags = spec.split(":")
    large = max(map(int, shape.split("x")[:2])) > 10000  # the LM head and its weight gradient
    run(shape, "ta" in flags, "tb" in flags, iters=10 if large else 30)
