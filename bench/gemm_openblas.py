"""OpenBLAS peer for GemmBenchmark: numpy float32 matmul on the same shapes, best of several runs.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/gemm_openblas.py
"""
import time

import numpy as np

SHAPES = ["1024x1024x1024", "256x2304x768", "256x3072x768", "256x50257x768"]
rng = np.random.default_rng(42)
for shape in SHAPES:
    m, n, k = map(int, shape.split("x"))
    a = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((n, k), dtype=np.float32)  # PyTorch [out,in] weight
    for trans_b, b in (("true", w.T), ("false", np.ascontiguousarray(w.T))):
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        best = float("inf")
        for _ in range(10 if n < 10000 else 5):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - t0)
        print(f"{shape:16s} transB={trans_b:5s} {best * 1e3:8.2f} ms  {2 * m * n * k / best / 1e9:6.1f} GFLOP/s")
