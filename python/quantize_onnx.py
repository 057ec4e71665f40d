"""Write an int8 copy of an ONNX model (dynamic quantization of the weights, ONNX Runtime's own).

milvus-rag loads it with `--model-file model_quantized.onnx`: about 1.3-1.5x faster embedding on
a CPU for all-MiniLM-L6-v2, with vectors at cosine >= 0.99 to the fp32 model's: close, but not
the same model (`npm run bench:embed` measures both).

usage: python quantize_onnx.py MODEL_DIR   (reads MODEL_DIR/model.onnx, writes MODEL_DIR/model_quantized.onnx)
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = os.path.abspath(sys.argv[1])
    source = os.path.join(folder, "model.onnx")
    target = os.path.join(folder, "model_quantized.onnx")
    partial = target + ".part"
    # Per-channel weights and 7-bit range, MatMuls only. Per-tensor int8 (ONNX Runtime's default)
    # gave vectors at cosine 0.90-0.97 to fp32 on SciFact abstracts; this gives >= 0.99 and runs
    # faster. The 7-bit range avoids int16 saturation in the u8s8 kernels of CPUs without VNNI.
    quantize_dynamic(source, partial, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                     op_types_to_quantize=["MatMul"])
    os.replace(partial, target)  # never a half-written model under the final name
    # Marks this recipe, so setup redoes copies made by an older one.
    with open(os.path.join(folder, "quantize-info.json"), "w", encoding="utf-8") as handle:
        json.dump({"recipe": "dynamic int8, per-channel, reduce_range, MatMul only"}, handle)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
