#!/usr/bin/env python3
"""The `./lathe bench train` step in PyTorch: fp32 GPT-2 (Hugging Face GPT2LMHeadModel's architecture and
initialisation, written in plain torch.nn), random tokens, forward, mean next-token cross-entropy over the tied
LM head, backward, clip_grad_norm_(1.0), AdamW (PyTorch defaults, one parameter group). Prints progress on stderr
and, last on stdout, one JSON object with the median step (after warm-up), tokens/s and the peak RSS (VmHWM).

    python3 bench/peers/pytorch_train_step.py --preset gpt2-124m --batch-size 4 --seq-len 64 --steps 5
    python3 bench/peers/pytorch_train_step.py --device cuda --precision bf16 --batch-size 8 --seq-len 1024

On a GPU, `--precision tf32` allows TF32 tensor cores in fp32 GEMMs and `bf16` runs forward and loss under
torch.autocast(bfloat16) with fp32 master weights (the usual mixed-precision recipe); attention goes through
F.scaled_dot_product_attention (flash attention) where the installed torch has it. Steps are timed after a
synchronising loss.item().

Debian's python3-torch 1.13 calls the system BLAS: install an OpenBLAS (the reference BLAS is far slower) and
prefer its OpenMP build, which shares torch's OpenMP threads (with the pthread build both pools spin on the same
cores), e.g. LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp after apt-get install libopenblas0-openmp.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # vocab, positions, embd, layers, heads — as TrainBench.preset
    "gpt2-124m": (50257, 1024, 768, 12, 12),
    "tiny": (97, 64, 32, 2, 4),
}


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(c, eps=1e-5)
        self.c_attn = nn.Linear(c, 3 * c)
        self.attn_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c, eps=1e-5)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)

    def forward(self, x, causal):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
            att = att.masked_fill(~causal[:t, :t], float("-inf")).softmax(dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, vocab, positions, c, layers, heads):
        super().__init__()
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(positions, c)
        self.h = nn.ModuleList(Block(c, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c, eps=1e-5)
        self.register_buffer("causal", torch.ones(positions, positions, dtype=torch.bool).tril(), persistent=False)
        for name, p in self.named_parameters():  # GPT2PreTrainedModel._init_weights
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln_" in name or name.startswith("ln_f"):
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(t, device=ids.device))
        for block in self.h:
            x = block(x, self.causal)
        return self.ln_f(x) @ self.wte.weight.t()  # tied LM head: [B, T, V]


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="gpt2-124m", choices=sorted(PRESETS))
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"])
    a = ap.parse_args()
    if a.device == "cpu" and a.precision != "fp32":
        ap.error("--precision tf32/bf16 needs --device cuda")
    torch.backends.cuda.matmul.allow_tf32 = a.precision == "tf32"
    torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    vocab, positions, c, layers, heads = PRESETS[a.preset]
    model = Gpt2(vocab, positions, c, layers, heads).to(a.device)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters())
    tokens = torch.randint(vocab, (a.batch_size, a.seq_len + 1)).to(a.device)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if a.precision == "bf16"
                else torch.autocast("cuda", enabled=False) if a.device == "cuda" else None)
    x, y = tokens[:, :-1], tokens[:, 1:]
    times, first_loss, loss = [], None, None
    for it in range(-a.warmup, a.steps):
        t0 = time.perf_counter()
        if autocast is None:
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        else:
            with autocast:
                logits = model(x)
                loss = F.cross_entropy(logits.reshape(-1, vocab).float(), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        value = loss.item()  # waits for the device
        ms = (time.perf_counter() - t0) * 1e3
        first_loss = value if first_loss is None else first_loss
        if it >= 0:
            times.append(ms)
        print(f"train {'warmup' if it < 0 else 'step'} {it + a.warmup + 1 if it < 0 else it + 1}"
              f"/{a.warmup if it < 0 else a.steps}: {ms:.1f} ms, loss {loss.item():.4f}", file=sys.stderr)
    median = statistics.median(times)
    print(json.dumps({"bench": "train", "impl": f"pytorch-{torch.__version__}", "preset": a.preset,
                      "device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu", "precision": a.precision,
                      "threads": torch.get_num_threads(), "params": params, "batch_size": a.batch_size,
                      "seq_len": a.seq_len, "steps": a.steps, "first_loss": round(first_loss, 6),
                      "loss": round(loss.item(), 6), "ms_per_step": round(median, 2), "ms_min": round(min(times), 2),
                      "tokens_per_second": round(a.batch_size * a.seq_len / (median / 1e3), 1),
                      "peak_rss_bytes": peak_rss_bytes()}))


if __name__ == "__main__":
    main()
