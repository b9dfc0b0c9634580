"""`briefing ask` cold start: wall time of the real command, and a step-by-step breakdown.

Run as a module (`python -m benchmarks.coldstart QUESTION`) it is the breakdown probe: a fresh
process doing what `briefing ask` does, timing each step, printing JSON. It imports nothing
heavy before the clock starts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "Why did Erdoğan approve Sweden?"


def briefing_command() -> list[str]:
    """The installed `briefing` script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).parent / "briefing"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def cold_start_env(index_dir: Path, corpus_dir: Path) -> dict[str, str]:
    """The environment for a `briefing` subprocess on the given index and corpus."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[1]  # this checkout's code, whatever pip installed
    env.update({"BRIEFING_INDEX_DIR": str(index_dir), "BRIEFING_CORPUS_DIR": str(corpus_dir),
                "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(root), env.get("PYTHONPATH")]))})
    return env


def measure_cold_start(root: Path, work_dir: Path, runs: int,
                       question: str = QUESTION) -> dict:
    """Median wall seconds of `briefing ask QUESTION` on an index of the bundled corpus.

    The index is built first with `briefing reindex` (timed, reported apart); one untimed
    run warms the OS file cache; then `runs` timed runs and one breakdown probe.
    """
    index_dir = work_dir / "coldstart-index"
    work_dir.mkdir(parents=True, exist_ok=True)
    env = cold_start_env(index_dir, root / "corpus")
    command = briefing_command()
    started = time.perf_counter()
    _run([*command, "reindex"], env, work_dir)
    reindex_s = time.perf_counter() - started
    _run([*command, "ask", question], env, work_dir)
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        _run([*command, "ask", question], env, work_dir)
        walls.append(time.perf_counter() - started)
    probe_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(root), env.get("PYTHONPATH", "")]))}
    started = time.perf_counter()
    out = _run([sys.executable, "-m", "benchmarks.coldstart", question], probe_env, work_dir)
    probe_wall = time.perf_counter() - started
    steps = json.loads(out.strip().splitlines()[-1])
    steps["interpreter_and_exit_s"] = round(probe_wall - sum(steps.values()), 3)
    return {"wall_s": round(statistics.median(walls), 3), "runs": [round(w, 3) for w in walls],
            "command": " ".join(Path(c).name for c in command[:1]) + " ask",
            "reindex_bundled_s": round(reindex_s, 3), "breakdown": steps,
            "probe_wall_s": round(probe_wall, 3)}


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def probe(question: str) -> dict:
    """Seconds of each step of a `briefing ask`: imports, index load, model+encode, search."""
    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = round(now - clock, 3)
        clock = now

    from bot.engine import open_index
    from bot.settings import load_settings
    from bot.terminal import format_answer
    lap("imports_s")
    index = open_index(load_settings())
    index.snapshot()
    lap("index_load_s")
    index.embedder.embed_query(question)
    lap("model_load_and_encode_s")
    format_answer(index.ask(question))
    lap("search_s")
    return steps


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1] if len(sys.argv) > 1 else QUESTION)))
