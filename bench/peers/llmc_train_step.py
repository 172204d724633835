#!/usr/bin/env python3
"""Time llm.c's CPU trainer (train_gpt2.c) on GPT-2 124M, batch 4 x 64 tokens, random weights, random tokens.

What is measured: train_gpt2.c's own per-step wall time, the `step N: train loss X (took Y ms)` lines it prints.
One step is dataloader_next_batch + gpt2_forward + gpt2_zero_grad + gpt2_backward + gpt2_update (AdamW,
lr 1e-4, no gradient clipping), fp32, OpenMP threads = OMP_NUM_THREADS. Step 0 is the warm-up (it allocates
activations, gradients and AdamW state lazily); the reported ms_per_step is the median of the steps after it.
Its main() also runs a validation loss (5 forward passes) every 10 steps and generates 63 tokens (63 full
forward passes) every 20 steps; neither is inside the "took" time. B=4, T=64 and the 40-step loop are hard-coded
in main(), so this script does not patch or pass them: --steps N stops the binary (SIGTERM) once step N is
printed, i.e. 1 warm-up + N timed steps (about 1.5 min on 2 cores for N=5); --steps 0 lets the whole loop run
(steps 0..40 plus the validation and generation work: about 7 min on a 2-core AMD EPYC at ~6 s/step).
Peak RSS is the binary's own ru_maxrss (os.wait4 on that child, the same figure
resource.getrusage(RUSAGE_CHILDREN) reports when it is the only child).

Getting llm.c (the checkout must hold train_gpt2.c and llmc/*.h; nothing else is needed):

    git clone https://github.com/karpathy/llm.c && git -C llm.c checkout db2454f88f1cdf0568c76d4c4bf2b1e0ed508cf0
    python3 bench/peers/llmc_train_step.py --llmc llm.c --steps 5

If DIR/train_gpt2 is absent it is built with the flags llm.c's Makefile uses for gcc + OpenMP on Linux:
    $CC -Ofast -Wno-unused-result -Wno-ignored-pragmas -Wno-unknown-attributes -march=native -fopenmp -DOMP \
        train_gpt2.c -lm -lgomp -o train_gpt2

The binary runs in a scratch directory holding what main() opens: gpt2_124M.bin (llm.c checkpoint v3: 256-int32
header, then the 16 parameter tensors in llm.c's order, float32; weights N(0, 0.02), LayerNorm weights 1, biases
and the padded vocab rows 0), dev/data/tinyshakespeare/tiny_shakespeare_{train,val}.bin (256-int32 header,
magic 20240520, version 1, token count, then uint16 tokens, uniform over the 50257 GPT-2 ids) and a placeholder
gpt2_tokenizer.bin (ids spelled as text): without a tokenizer file main() warns and prints token ids instead, but
seeds generation with Tokenizer.eot_token, which tokenizer_init leaves unset in that case. Expect every loss near
ln(50257) + s^2/2 = 10.98, s = 0.02 * sqrt(768) being the logit std (random init, random tokens: it does not go
down). Progress goes to stderr; the last stdout line is JSON.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

import numpy as np

V, VP, MAXT, L, NH, C = 50257, 50304, 1024, 12, 12, 768  # GPT-2 124M, vocab padded to a multiple of 128
B, T = 4, 64  # hard-coded in train_gpt2.c's main()
CFLAGS = ["-Ofast", "-Wno-unused-result", "-Wno-ignored-pragmas", "-Wno-unknown-attributes", "-march=native",
          "-fopenmp", "-DOMP"]
STEP_LINE = re.compile(r"step (\d+): train loss (\S+) \(took ([\d.]+) ms\)")


def write_checkpoint(path, rng):
    # (shape, init) per tensor, in ParameterTensors order; "n" = N(0, 0.02), "1" = ones, "0" = zeros
    tensors = [((VP, C), "wte"), ((MAXT, C), "n"), ((L, C), "1"), ((L, C), "0"), ((L, 3 * C, C), "n"),
               ((L, 3 * C), "0"), ((L, C, C), "n"), ((L, C), "0"), ((L, C), "1"), ((L, C), "0"),
               ((L, 4 * C, C), "n"), ((L, 4 * C), "0"), ((L, C, 4 * C), "n"), ((L, C), "0"), ((C,), "1"), ((C,), "0")]
    header = np.zeros(256, dtype=np.int32)
    header[:8] = [20240326, 3, MAXT, V, L, NH, C, VP]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        for shape, init in tensors:
            if init == "1":
                t = np.ones(shape, dtype=np.float32)
            elif init == "0":
                t = np.zeros(shape, dtype=np.float32)
            else:
                t = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
                if init == "wte":
                    t[V:] = 0  # padded rows, as in llm.c's exported checkpoints
            f.write(t.tobytes())


def write_tokens(path, n, rng):
    header = np.zeros(256, dtype=np.int32)
    header[:3] = [20240520, 1, n]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(rng.integers(0, V, size=n, dtype=np.uint16).tobytes())


def write_tokenizer(path):
    header = np.zeros(256, dtype=np.uint32)
    header[:4] = [20240328, 2, V, V - 1]  # version 2 carries the EOT id (50256)
    with open(path, "wb") as f:
        f.write(header.tobytes())
        for i in range(V):
            piece = f" {i}".encode()
            f.write(bytes([len(piece)]) + piece)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--llmc", required=True, help="llm.c checkout (train_gpt2.c, llmc/*.h; train_gpt2 if built)")
    ap.add_argument("--steps", type=int, default=5, help="timed steps after step 0; 0 = the whole 40-step loop")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="OMP_NUM_THREADS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", help="keep the generated files here (default: a temporary directory)")
    a = ap.parse_args()
    if not 0 <= a.steps <= 40:
        ap.error("--steps must be in 0..40 (train_gpt2.c runs steps 0..40)")
    llmc = os.path.abspath(a.llmc)
    binary = os.path.join(llmc, "train_gpt2")
    if not os.path.exists(binary):
        cmd = [os.environ.get("CC", "gcc"), *CFLAGS, "train_gpt2.c", "-lm", "-lgomp", "-o", "train_gpt2"]
        print("building:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, cwd=llmc, check=True)

    tmp = None if a.workdir else tempfile.TemporaryDirectory(prefix="llmc_bench_")
    work = os.path.abspath(a.workdir) if a.workdir else tmp.name
    data = os.path.join(work, "dev", "data", "tinyshakespeare")
    os.makedirs(data, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    if not os.path.exists(os.path.join(work, "gpt2_124M.bin")):
        print(f"writing random GPT-2 124M checkpoint and tokens to {work}", file=sys.stderr)
        write_checkpoint(os.path.join(work, "gpt2_124M.bin"), rng)
        write_tokens(os.path.join(data, "tiny_shakespeare_train.bin"), 65536, rng)  # 41 steps use 10,497
        write_tokens(os.path.join(data, "tiny_shakespeare_val.bin"), 32768, rng)  # 5 batches per validation
        write_tokenizer(os.path.join(work, "gpt2_tokenizer.bin"))

    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    # printf into a pipe is block-buffered; line-buffer it so --steps can stop the loop as soon as step N prints
    stdbuf = shutil.which("stdbuf")
    if a.steps and not stdbuf:
        print("stdbuf not found: the whole loop runs before its output is seen", file=sys.stderr)
    cmd = [stdbuf, "-oL", binary] if stdbuf else [binary]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, text=True, bufsize=1)
    steps = {}  # step -> (loss, ms)
    for line in proc.stdout:
        print(line, end="", file=sys.stderr)
        m = STEP_LINE.search(line)
        if m:
            steps[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
            if a.steps and int(m.group(1)) >= a.steps:
                proc.send_signal(signal.SIGTERM)
                break
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if a.steps == 0 and proc.returncode != 0:
        sys.exit(f"train_gpt2 exited with {proc.returncode}")
    if tmp:
        tmp.cleanup()

    timed = [ms for s, (_, ms) in sorted(steps.items()) if s >= 1]
    if not timed or (a.steps and len(timed) < a.steps):
        sys.exit(f"train_gpt2 printed {len(steps)} step lines (exit {proc.returncode})")
    median = statistics.median(timed)
    print(json.dumps({"peer": "llm.c train_gpt2.c", "ms_per_step": round(median, 2),
                      "tokens_per_second": round(B * T * 1000 / median, 1), "steps": len(timed),
                      "peak_rss_bytes": usage.ru_maxrss * 1024, "threads": a.threads,
                      "first_loss": steps[min(steps)][0], "loss": steps[max(steps)][0]}))


if __name__ == "__main__":
    main()
