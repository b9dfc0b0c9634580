"""One measurement in a fresh process: `python -m benchmarks.worker TASK SPEC_JSON`.

A fresh process per measurement keeps model warm-up, caches and peak RSS separate. The
result is printed as one `BENCH-RESULT {json}` line on stdout, with the process's peak RSS.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

MARKER = "BENCH-RESULT "


def _texts(spec: dict) -> list[str]:
    return json.loads(Path(spec["texts_file"]).read_text(encoding="utf-8"))


def _questions(spec: dict) -> list[str]:
    return json.loads(Path(spec["questions_file"]).read_text(encoding="utf-8"))


def _floor(spec: dict) -> dict:
    from benchmarks.floor import measure_encoder

    return measure_encoder(_texts(spec), _questions(spec), int(spec.get("runs", 3)))


def _ingest(spec: dict) -> dict:
    from benchmarks.ours import measure_ingest
    from benchmarks.pg import location

    optional = {key: Path(spec[key]) if key in spec else None
                for key in ("texts_file", "cache_dir")}
    return measure_ingest(Path(spec["corpus_dir"]), location(spec["index_dir"]), **optional,
                          precision=spec.get("precision", "auto"),
                          backend=spec.get("backend", "auto"), runs=int(spec.get("runs", 3)),
                          locations=spec.get("locations"))


def _build_cached(spec: dict) -> dict:
    from benchmarks.ours import build_cached
    from benchmarks.pg import location

    return build_cached(Path(spec["corpus_dir"]), location(spec["index_dir"]),
                        Path(spec["cache_dir"]), Path(spec["texts_file"]))


def _build_synthetic(spec: dict) -> dict:
    import time

    from benchmarks.pg import location
    from benchmarks.synthetic import load_seeds, synthesize

    seeds = load_seeds(Path(spec["seed_index_dir"]))
    started = time.perf_counter()
    info = synthesize(location(spec["index_dir"]), int(spec["size"]), seeds, int(spec["seed"]))
    info["seconds"] = round(time.perf_counter() - started, 3)
    return info


def _ask(spec: dict) -> dict:
    from benchmarks.ours import measure_ask
    from benchmarks.pg import location

    return measure_ask(location(spec["index_dir"]), _questions(spec))


def _txtai(spec: dict) -> dict:
    from benchmarks.peer import measure_txtai

    search = spec.get("search_texts_file")
    cache = spec.get("cache_dir")
    return measure_txtai(_texts(spec), _questions(spec), runs=int(spec.get("runs", 3)),
                         search_texts=json.loads(Path(search).read_text(encoding="utf-8"))
                         if search else None, cache_dir=Path(cache) if cache else None)


def _bot_load(spec: dict) -> dict:
    from benchmarks.botload import measure_bot

    return measure_bot(Path(spec["root"]), Path(spec["corpus_dir"]), Path(spec["work_dir"]),
                       _questions(spec))


TASKS: dict[str, Callable[[dict], dict]] = {
    "floor": _floor, "ingest": _ingest, "build-cached": _build_cached,
    "build-synthetic": _build_synthetic, "ask": _ask, "txtai": _txtai, "bot": _bot_load,
}


def run_worker(task: str, spec: dict, root: Path, timeout_s: float = 3600) -> dict:
    """Run `task` in a fresh interpreter (cwd `root`) and return its result dictionary."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "benchmarks.worker", task, json.dumps(spec)],
                          cwd=root, env=env, stdout=subprocess.PIPE, stderr=None, text=True,
                          timeout=timeout_s, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark task {task!r} failed with exit status {done.returncode}")
    return json.loads(lines[-1][len(MARKER):])


def main(argv: list[str]) -> int:
    """Entry point of the worker process."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from benchmarks.timing import peak_rss_mb

    if len(argv) != 2 or argv[0] not in TASKS:
        print(f"usage: python -m benchmarks.worker {{{','.join(TASKS)}}} SPEC_JSON\n(one "
              "measurement in a fresh process, as `python -m benchmarks` runs it; the JSON "
              "spec's keys are those benchmarks/runner.py passes for that task)",
              file=sys.stderr)
        return 2
    task, spec = argv[0], json.loads(argv[1])
    result = TASKS[task](spec)
    result.setdefault("rss_mb", peak_rss_mb())
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
