"""Benchmarks: the bare encoder, our index and txtai, side by side on real text.

Run from the repository root::

    pip install -e ".[bench]"        # txtai, the peer
    python -m benchmarks [--quick] [--json FILE] [--eval-dir ../shared/eval] [--sizes 2k 20k ...]

One run measures, on SQuAD, SciFact and CNN text from the evaluation folder:

- the floor: `SentenceTransformer(<bundled model>).encode(texts, batch_size=32)` passages/s on
  the texts our reindex embeds, and one real question's encode time (`benchmarks.floor`);
- ours: ingest passages/s through `BriefingIndex.reindex` (default precision, and again in
  float32 when the default chose bfloat16), warm `ask` p50/p99 and peak RSS at
  each size (`benchmarks.ours`), real sets up to ~20k passages and synthetic ones beyond
  (`benchmarks.synthetic`), and `briefing ask` cold start (`benchmarks.coldstart`);
- the peer: txtai hybrid on the same model directory and texts (`benchmarks.peer`).

Every measurement that loads the model or an index runs in a fresh subprocess
(`benchmarks.worker`), so warm-up and peak RSS belong to one measurement. `benchmarks.report`
turns the results into the summary JSON and the table.
"""
