"""One-off build of the ONNX graphs the embedder runs: float32 (fused) and int8.

Runs offline from the local weights. Only `export` needs PyTorch, so the bot never imports it:
the embedder runs this module in a child process (`python -m index.ingest.onnx_export MODEL OUT`)
when the graphs are missing, and the Docker image runs it at build time.

1. `export`: the sentence-transformers BERT model with mean pooling and normalisation, traced
   with eager attention (its pattern is the one ONNX Runtime's fusion recognises).
2. `optimize`: ONNX Runtime's transformer optimisations (fused attention, embedding and skip
   layer norms, bias + GELU). Same arithmetic: cosine to PyTorch float32 above 0.99999.
3. `quantize`: dynamic int8 of that graph's matrix products with per-channel weight scales
   (per-tensor scales lost too much: mean cosine 0.954 to float32, against 0.994).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import warnings
from pathlib import Path

GRAPHS = {"float32": "model-float32.onnx", "int8": "model-int8.onnx"}
LAYOUT = "v2"  # bump when the graphs change, so older caches are rebuilt, not reused


def graph_dir(cache_dir: Path, fingerprint: str) -> Path:
    """Where the graphs of the model with `fingerprint` are kept under `cache_dir`."""
    return Path(cache_dir) / "onnx" / fingerprint / LAYOUT


def export(model_path: Path, target: Path) -> Path:
    """Write `target` (an .onnx file) computing the model's normalised sentence embeddings."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    sample = tokenizer(["a short text", "and a somewhat longer second text"], padding=True,
                       return_tensors="pt")
    staging = _staging(target)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about constant shapes: checked by tests
        torch.onnx.export(
            Pooled(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(staging), input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"], opset_version=17, dynamo=False,
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "embedding": {0: "batch"}})
    os.replace(staging, target)
    return target


def optimize(model_path: Path, source: Path, target: Path) -> Path:
    """ONNX Runtime's BERT fusions of `source`, written to `target` (float32, no PyTorch)."""
    from onnxruntime.transformers import optimizer

    config = json.loads((Path(model_path) / "config.json").read_text(encoding="utf-8"))
    fused = optimizer.optimize_model(str(source), model_type="bert",
                                     num_heads=int(config["num_attention_heads"]),
                                     hidden_size=int(config["hidden_size"]))
    staging = _staging(target)
    fused.save_model_to_file(str(staging))
    os.replace(staging, target)
    return target


def quantize(source: Path, target: Path) -> Path:
    """Dynamic int8 (per-channel weights) of `source`'s MatMul and Attention nodes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staging = _staging(target)
    quantize_dynamic(str(source), str(staging), per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(staging, target)
    return target


def build(model_path: Path, out_dir: Path) -> dict[str, Path]:
    """Every graph of `GRAPHS` in `out_dir` (those already there are kept)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in GRAPHS.items()}
    if all(p.is_file() for p in paths.values()):
        return paths
    raw = out_dir / "model-export.onnx"
    if not paths["float32"].is_file():
        export(Path(model_path), raw)
        optimize(Path(model_path), raw, paths["float32"])
        raw.unlink(missing_ok=True)
    if not paths["int8"].is_file():
        quantize(paths["float32"], paths["int8"])
    return paths


def _staging(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.{secrets.token_hex(3)}.tmp")


def main(argv: list[str]) -> int:
    """`python -m index.ingest.onnx_export MODEL_DIR OUT_DIR`: build the graphs, print their
    paths."""
    if len(argv) != 2:
        print("usage: python -m index.ingest.onnx_export MODEL_DIR OUT_DIR", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local, never fetched
    for name, path in build(Path(argv[0]), Path(argv[1])).items():
        print(f"{name} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
