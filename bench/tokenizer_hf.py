"""Hugging Face `tokenizers` on the text of TokenizerBenchmark: checks its ids against Lathe's, times encode.

usage: python3 bench/tokenizer_hf.py OUT_DIR TOKENIZER_DIR
OUT_DIR holds text.txt and ids.txt written by dev.lathe.bench.TokenizerBenchText; TOKENIZER_DIR holds GPT-2's
vocab.json + merges.txt. Prints one JSON line per mode, single thread, best of 5: the whole text as one
encode() call (as Lathe's benchmark does), and paragraph by paragraph (split at blank lines, one encode() each).
"""
import json
import os
import sys
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers


def gpt2(directory, cache_capacity):
    bpe = models.BPE.from_file(os.path.join(directory, "vocab.json"), os.path.join(directory, "merges.txt"),
                               cache_capacity=cache_capacity)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])
    return tok


def main():
    out_dir, tok_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(out_dir, "text.txt"), encoding="utf-8", newline="") as f:  # keep "\r\n"
        text = f.read()
    with open(os.path.join(out_dir, "ids.txt")) as f:
        lathe_ids = [int(x) for x in f.read().split()]
    mb = len(text.encode("utf-8")) / 1e6
    for mode, capacity in (("warm cache", 10_000), ("no cache", 0)):
        tok = gpt2(tok_dir, capacity)
        ids = tok.encode(text).ids  # also warms the cache
        if ids != lathe_ids:
            first = next((i for i, (a, b) in enumerate(zip(ids, lathe_ids)) if a != b), min(len(ids), len(lathe_ids)))
            sys.exit(f"ids differ from Lathe's ({len(ids)} vs {len(lathe_ids)} tokens, first difference at {first})")
        print(json.dumps({"check": "ids equal Lathe's", "tokens": len(ids)}))
        for unit, pieces in (("whole text", [text]), ("paragraphs", text.split("\n\n"))):
            best = min(timed(tok, pieces) for _ in range(5))
            print(json.dumps({"peer": f"tokenizers {__import__('tokenizers').__version__}", "mode": mode,
                              "unit": unit, "seconds": round(best, 4), "mb_per_s": round(mb / best, 2)}))


def timed(tok, pieces):
    start = time.perf_counter()
    for piece in pieces:
        tok.encode(piece)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
