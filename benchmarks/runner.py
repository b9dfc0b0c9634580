"""The benchmark plan and its run: which sets, in what order, each measured in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.coldstart import measure_cold_start
from benchmarks.data import Doc, real_docs, squad_questions, take_passages, write_corpus
from benchmarks.pg import PgServer, missing
from benchmarks.worker import run_worker

REAL_LIMIT = 25_000  # sizes up to this are real passages; above, synthetic
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_size(text: str) -> int:
    """Passage count from "2k", "20k", "1M" or "1500"."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a corpus size: {text!r} (try 2k, 20k, 100k, 1M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def size_label(size: int) -> str:
    """The short name of a size, used as a JSON key: 2000 -> "2k", 1000000 -> "1M"."""
    for scale, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= scale:
            return f"{size / scale:g}{suffix}"
    return str(size)


@dataclass
class Plan:
    """What one run measures; `sizes` are passage counts, the smallest real one is ingested."""

    root: Path
    eval_dir: Path
    work_dir: Path
    cache_dir: Path
    sizes: list[int]
    questions: int
    txtai_sizes: list[int] = field(default_factory=list)
    cold_runs: int = 3
    runs: int = 3  # repeated ingest measurements (median, min, max)
    ingest_passages: int = 10**9  # ingest timed on (about) this many of the base set's passages
    # Sizes also measured on PostgreSQL + pgvector (ingest is measured when any is planned);
    # `postgres_skipped` names sizes left out on purpose, with the reason.
    postgres_sizes: list[int] = field(default_factory=list)
    postgres_skipped: dict[str, str] = field(default_factory=dict)
    postgres_only: bool = False  # only what the PostgreSQL column and its FAISS twin need

    @property
    def real_sizes(self) -> list[int]:
        """Sizes served from real passages, smallest first."""
        return sorted(s for s in self.sizes if s <= REAL_LIMIT)

    @property
    def synthetic_sizes(self) -> list[int]:
        """Sizes built synthetically around real embeddings, smallest first."""
        return sorted(s for s in self.sizes if s > REAL_LIMIT)


def run(plan: Plan) -> dict:
    """Every measurement of the plan; the raw results, keyed by what they measure."""
    if not plan.real_sizes:
        raise ValueError(f"give at least one real size (up to {size_label(REAL_LIMIT)})")
    return _Run(plan).measure_all()


class _Run:
    """One run of a plan: shared files, the clock for progress lines, the results so far."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.started = time.perf_counter()
        self.questions_file = plan.work_dir / "questions.json"
        self.results: dict = {"sizes": {}, "txtai": {},
                              "base": size_label(plan.real_sizes[0])}
        self.pg: PgServer | None = None

    def measure_all(self) -> dict:
        """Every measurement, with the PostgreSQL server (if planned) up for the whole run."""
        self.plan.work_dir.mkdir(parents=True, exist_ok=True)
        self.start_postgres()
        try:
            return self.measure()
        finally:
            if self.pg is not None:
                self.pg.stop()

    def start_postgres(self) -> None:
        """Start the run's PostgreSQL, or say why the column is skipped."""
        plan = self.plan
        if not plan.postgres_sizes:
            return
        reason = missing()
        entry: dict = {"sizes": {}, "not_measured": dict(plan.postgres_skipped)}
        self.results["postgres"] = entry
        if reason is None:
            self.say("starting an embedded PostgreSQL for the PostgreSQL column")
            try:
                self.pg = PgServer(plan.work_dir / "postgres")
                entry["server"] = self.pg.describe()
            except Exception as err:  # noqa: BLE001 - the other columns must still be measured
                reason = f"embedded PostgreSQL did not start ({str(err)[:300]})"
                self.pg = None
        if reason is not None:
            self.say(reason)
            entry["skipped"] = reason

    def measure(self) -> dict:
        """Real sizes, then synthetic ones, then the cold start."""
        plan = self.plan
        questions = squad_questions(plan.eval_dir, plan.questions)
        self.questions_file.write_text(json.dumps(questions, ensure_ascii=False),
                                       encoding="utf-8")
        self.results["questions"] = len(questions)
        docs = real_docs(plan.eval_dir)
        for size in plan.real_sizes:
            self.real(size, docs)
        if not plan.postgres_only:
            self.bot(self.results["base"])
        seed_index = plan.work_dir / f"index-{size_label(plan.real_sizes[-1])}"
        for number, size in enumerate(plan.synthetic_sizes):  # number: the generator's seed
            if not plan.postgres_only or size in plan.postgres_sizes:
                self.synthetic(size, number, seed_index)
        if plan.postgres_only:
            self.results["total_s"] = round(time.perf_counter() - self.started, 1)
            return self.results
        self.say("cold start of `briefing ask`")
        try:
            self.results["cold_start"] = measure_cold_start(
                plan.root, plan.work_dir / "coldstart", plan.cold_runs)
        except RuntimeError as err:  # a failing command must not lose the other numbers
            self.say(f"cold start failed ({str(err)[:300]})")
            self.results["cold_start"] = {"wall_s": None, "runs": [], "breakdown": {},
                                          "error": str(err)[-2000:]}
        self.results["total_s"] = round(time.perf_counter() - self.started, 1)
        return self.results

    def real(self, size: int, docs: list[Doc]) -> None:
        """Build (ingest for the base size, cached otherwise), ask, and txtai if planned."""
        label, work = size_label(size), self.plan.work_dir
        chosen = take_passages(docs, size)
        write_corpus(chosen, work / f"corpus-{label}")
        spec = {"corpus_dir": str(work / f"corpus-{label}"),
                "index_dir": str(work / f"index-{label}"),
                "texts_file": str(work / f"texts-{label}.json"),
                "questions_file": str(self.questions_file), "cache_dir": str(self.plan.cache_dir)}
        entry: dict = {"kind": "real", "sources": _sources(chosen)}
        if label == self.results["base"] and self.plan.ingest_passages < size:
            subset = take_passages(docs, self.plan.ingest_passages)
            write_corpus(subset, work / "corpus-ingest")
            spec["ingest_texts_file"] = str(work / "texts-ingest.json")
            self.ingest(label, {**spec, "corpus_dir": str(work / "corpus-ingest"),
                                "index_dir": str(work / "index-ingest"),
                                "texts_file": spec["ingest_texts_file"]}, len(subset))
            self.say(f"{label}: reindex with cached embeddings ({len(chosen)} articles)")
            entry["build"] = self.worker("build-cached", spec)
        elif label == self.results["base"]:
            self.ingest(label, spec, len(chosen))
            entry["build"] = self.results["ingest"]
        else:
            self.say(f"{label}: reindex with cached embeddings ({len(chosen)} articles)")
            entry["build"] = self.worker("build-cached", spec)
        if self.plan.postgres_only and size not in self.plan.postgres_sizes:
            return  # built only as the synthetic sets' seeds
        self.say(f"{label}: ask x{self.results['questions']}")
        entry["ask"] = self.worker("ask", spec)
        self.results["sizes"][label] = entry
        if self.pg is not None and size in self.plan.postgres_sizes:
            self.postgres_real(label, spec, len(chosen))
        if size in self.plan.txtai_sizes and not self.plan.postgres_only:
            self.peer(label, spec)

    def postgres_real(self, label: str, spec: dict, articles: int) -> None:
        """The same corpus reindexed into an empty database through the real path, vectors
        from the same embedding cache as the FAISS side's; then the same `ask` run."""
        assert self.pg is not None
        name = f"bench_{label.lower()}"
        url = self.pg.database(name)
        self.say(f"{label}: PostgreSQL reindex with cached embeddings ({articles} articles)")
        try:
            build = self.pg_worker("build-cached", {**spec, "index_dir": url,
                                                 "texts_file": str(self.plan.work_dir /
                                                                   f"texts-{label}-pg.json")})
            self.postgres_ask(label, "real", url, name, build)
        except RuntimeError as err:
            self.say(f"{label}: PostgreSQL failed ({err})")
            self.results["postgres"]["sizes"][label] = {"error": str(err)[-2000:]}
        finally:
            self.pg.drop(name)

    def postgres_ask(self, label: str, kind: str, url: str, name: str, build: dict) -> None:
        """Settle the database (VACUUM ANALYZE, as autovacuum would soon), then the same
        warm `ask` measurement as the FAISS side's, in a fresh process."""
        assert self.pg is not None
        settled = self.pg.settle(name)
        self.say(f"{label}: PostgreSQL ask x{self.results['questions']}")
        ask = self.worker("ask", {"index_dir": url, "questions_file": str(self.questions_file)})
        self.results["postgres"]["sizes"][label] = {
            "kind": kind, "build": build, "settle": settled, "ask": ask,
            "database_mb": self.pg.size_mb(name)}

    def ingest(self, label: str, spec: dict, articles: int) -> None:
        """The base size ingested through reindex: the shipped default, PyTorch float32, and
        PyTorch bfloat16 where the CPU has it; then the bare encoder on the same texts."""
        from index.ingest.encoders import cpu_has_bfloat16

        runs, work = self.plan.runs, self.plan.work_dir
        self.say(f"{label}: ingest through reindex, shipped default ({articles} articles, "
                 f"{runs} runs)")
        self.results["ingest"] = self.worker("ingest", {**spec, "runs": runs})
        if self.pg is not None:
            self.postgres_ingest(label, spec["corpus_dir"], articles)
        if self.plan.postgres_only:
            return
        variants = [("ingest_torch_float32", "torch", "float32")]
        if cpu_has_bfloat16():
            variants.append(("ingest_bfloat16", "auto", "bfloat16"))
        for key, backend, precision in variants:
            self.say(f"{label}: ingest again, {backend} {precision} ({runs} runs)")
            self.results[key] = self.worker("ingest", {
                "corpus_dir": spec["corpus_dir"], "backend": backend, "precision": precision,
                "index_dir": str(work / f"index-{label}-{precision}"), "runs": runs})
        self.say(f"{label}: bare encoder (float32) on the same "
                 f"{self.results['ingest']['passages']} passages ({runs} runs)")
        self.results["floor"] = self.worker("floor", {**spec, "runs": runs})

    def postgres_ingest(self, label: str, corpus_dir: str, articles: int) -> None:
        """The shipped default's ingest again, each run into an empty database."""
        assert self.pg is not None
        runs = self.plan.runs
        self.say(f"{label}: ingest through reindex into PostgreSQL, shipped default "
                 f"({articles} articles, {runs} runs)")
        names = [f"bench_ingest_{run}" for run in range(runs)]
        urls = [self.pg.database(name) for name in names]
        try:
            self.results["postgres"]["ingest"] = self.worker("ingest", {
                "corpus_dir": corpus_dir, "index_dir": urls[-1], "locations": urls,
                "runs": runs})
        except RuntimeError as err:
            self.say(f"{label}: PostgreSQL ingest failed ({err})")
            self.results["postgres"]["ingest"] = {"error": str(err)[-2000:]}
        finally:
            for name in names:
                self.pg.drop(name)

    def bot(self, label: str) -> None:
        """A running `briefing bot`: /reindex of the base corpus with 100 /ask meanwhile."""
        self.say(f"{label}: `briefing bot` against the fake Discord, /reindex + 100 /ask")
        try:
            self.results["bot"] = self.worker("bot", {
                "root": str(self.plan.root), "corpus_dir": str(
                    self.plan.work_dir / f"corpus-{label}"),
                "work_dir": str(self.plan.work_dir / "bot"),
                "questions_file": str(self.questions_file)})
        except RuntimeError as err:
            self.say(f"bot benchmark failed ({err})")

    def synthetic(self, size: int, number: int, seed_index: Path) -> None:
        """Build a synthetic index around the seed index's passages, ask, then delete it."""
        label = size_label(size)
        index_dir = self.plan.work_dir / f"index-{label}"
        spec = {"seed_index_dir": str(seed_index), "index_dir": str(index_dir), "size": size,
                "seed": number, "questions_file": str(self.questions_file)}
        self.say(f"{label}: building a synthetic index")
        entry = {"kind": "synthetic", "build": self.worker("build-synthetic", spec)}
        self.say(f"{label}: ask x{self.results['questions']}")
        entry["ask"] = self.worker("ask", spec)
        self.results["sizes"][label] = entry
        shutil.rmtree(index_dir, ignore_errors=True)
        if self.pg is not None and size in self.plan.postgres_sizes:
            self.postgres_synthetic(label, {**spec})

    def postgres_synthetic(self, label: str, spec: dict) -> None:
        """The same synthetic corpus (same seeds and seed: identical rows and vectors, which
        the digest shows) written into an empty database with `PostgresBackend.write`."""
        assert self.pg is not None
        name = f"bench_{label.lower()}"
        url = self.pg.database(name)
        self.say(f"{label}: writing the same synthetic corpus into PostgreSQL")
        try:
            build = self.pg_worker("build-synthetic", {**spec, "index_dir": url})
            self.postgres_ask(label, "synthetic", url, name, build)
        except RuntimeError as err:
            self.say(f"{label}: PostgreSQL failed ({err})")
            self.results["postgres"]["sizes"][label] = {"error": str(err)[-2000:]}
        finally:
            self.pg.drop(name)

    def peer(self, label: str, spec: dict) -> None:
        """txtai on the same texts; a missing or failing txtai is reported, not fatal."""
        if importlib.util.find_spec("txtai") is None:
            self.say("txtai is not installed (pip install -e '.[bench]'); skipped")
            return
        self.say(f"{label}: txtai ingest and search")
        try:
            peer_spec = {**spec, "runs": self.plan.runs}
            if "ingest_texts_file" in spec:  # ingest timed on the same subset as ours
                peer_spec.update(texts_file=spec["ingest_texts_file"],
                                 search_texts_file=spec["texts_file"])
            self.results["txtai"][label] = self.worker("txtai", peer_spec)
        except RuntimeError as err:  # the peer failing must not lose our numbers
            self.say(f"{label}: txtai failed ({err}); skipped")

    def worker(self, task: str, spec: dict) -> dict:
        """Run one measurement in a fresh process."""
        return run_worker(task, spec, self.plan.root)

    def pg_worker(self, task: str, spec: dict) -> dict:
        """A PostgreSQL build, run again once if a signal killed it (the write is one
        transaction: a killed client leaves the database as it was). A failure with an exit
        status is not retried."""
        try:
            return self.worker(task, spec)
        except RuntimeError as err:
            if "exit status -" not in str(err):
                raise
            self.say(f"{task} was killed ({err}); running it again once")
            result = self.worker(task, spec)
            result["retried_after"] = str(err)
            return result

    def say(self, message: str) -> None:
        """A progress line on stderr with the seconds since the run started."""
        print(f"[benchmarks {time.perf_counter() - self.started:6.1f}s] {message}",
              file=sys.stderr, flush=True)


def _sources(docs: list[Doc]) -> dict[str, int]:
    """How many articles of each data set a real set holds."""
    counts: dict[str, int] = {}
    for doc in docs:
        name = doc.id.split("-", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return counts
