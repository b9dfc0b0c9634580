"""What each bulk-embedding precision costs in retrieval quality, against float32.

    python -m benchmarks.quality [--eval-dir ../shared/eval] [--out FILE]

For every `BRIEFING_EMBED_PRECISION` path (float32, int8 and, where the CPU computes it
natively, bfloat16) it indexes SciFact's 5,183 abstracts and the 48 SQuAD dev articles with
passages embedded on that path (questions always on the float32 graph, as `ask` does) and
reports SciFact nDCG@10 and SQuAD recall@5, the difference to float32, and the commit. The
JSON (`benchmarks/results/ingest-quality.json` by default) is what `python -m benchmarks`
reports as `ingest_quality_delta_scifact`; it takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.report import machine_info
from index import BriefingIndex, evaluation
from index.ingest.embedding import Embedder
from index.ingest.encoders import cpu_has_bfloat16

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = "auto"


def measure(precision: str, eval_dir: Path, work_dir: Path) -> dict:
    """SciFact nDCG@10 and SQuAD recall@1/@5 with bulk passages embedded at `precision`."""
    embedder = Embedder(precision=precision)
    result: dict = {"precision": precision, "bulk_runtime": embedder.bulk_runtime,
                    "bulk_precision": embedder.bulk_precision}
    started = time.perf_counter()
    scifact = evaluation.evaluate_beir(BriefingIndex(work_dir / f"{precision}-scifact",
                                                     embedder=embedder),
                                       eval_dir / "scifact", "test", None)
    squad = evaluation.evaluate_squad(BriefingIndex(work_dir / f"{precision}-squad",
                                                    embedder=embedder),
                                      eval_dir / "squad-v1.1-dev" / "dev-v1.1.json", None, None)
    result.update({"scifact_ndcg@10": scifact["ndcg@10"], "scifact_recall@10":
                   scifact["recall@10"], "squad_recall@1": squad["recall@1"],
                   "squad_recall@5": squad["recall@5"],
                   "seconds": round(time.perf_counter() - started, 1)})
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure every precision, print and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality")
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "ingest-quality.json")
    args = parser.parse_args(argv)
    precisions = ["float32", "int8"] + (["bfloat16"] if cpu_has_bfloat16() else [])
    with tempfile.TemporaryDirectory(prefix="briefing-quality-") as work:
        rows = {p: measure(p, args.eval_dir.resolve(), Path(work)) for p in precisions}
    base = rows["float32"]
    for row in rows.values():
        row["scifact_ndcg@10_delta"] = round(row["scifact_ndcg@10"] - base["scifact_ndcg@10"], 4)
        row["squad_recall@5_delta"] = round(row["squad_recall@5"] - base["squad_recall@5"], 4)
    shipped = Embedder(precision=SHIPPED).bulk_precision
    summary = {"shipped_default": {"setting": SHIPPED, "bulk_precision": shipped},
               "ingest_quality_delta_scifact": rows[shipped]["scifact_ndcg@10_delta"],
               "ingest_quality_delta_squad_recall5": rows[shipped]["squad_recall@5_delta"],
               "by_precision": rows, "machine": machine_info(ROOT),
               "method": "bulk passages (reindex) embedded at each precision, questions on "
                         "the float32 ONNX graph; full hybrid ranking as `briefing eval "
                         "--beir/--squad`; SciFact test queries, all SQuAD v1.1 dev questions"}
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
