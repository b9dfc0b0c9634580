"""`python -m benchmarks`: measure, print a table, optionally write the summary as JSON."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.report import (
    format_postgres,
    format_table,
    machine_info,
    summarize,
    summarize_postgres_only,
)
from benchmarks.runner import REAL_LIMIT, Plan, parse_size, run, size_label

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = ["2k", "20k", "100k", "1M"]
QUICK_SIZES = ["2k", "20k", "100k"]
QUICK_INGEST = 350  # --quick times ingest on the first ~350 passages of the 2k set
POSTGRES_LARGE = 100_000  # the large size measured on PostgreSQL by default, beside 2k
QUICK_POSTGRES_LARGE = False
QUICK_POSTGRES_LARGE_SKIPPED = (
    "not in --quick: writing 100k passages into PostgreSQL (HNSW, GIN and postings built in "
    "the write's transaction) and asking there would take the quick run past 10 minutes on 2 "
    "cores; measured by the full run, or by `--quick --postgres-sizes 2k 100k` or "
    "`--postgres-only`")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Bare encoder vs our index vs txtai, on real text, from 2k to 1M passages.")
    parser.add_argument("--quick", action="store_true",
                        help=f"development run: sizes {' '.join(QUICK_SIZES)}, 100 questions, "
                             "no 1M point (under 10 minutes once the benchmark cache holds "
                             "the 20k set's vectors and txtai's 2k index)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the summary here")
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval",
                        help="folder with squad-v1.1-dev/, scifact/, cnn-1000/ "
                             "(default: ../shared/eval beside the repository)")
    parser.add_argument("--sizes", nargs="+", metavar="SIZE",
                        help="corpus sizes in passages (default: 2k 20k 100k 1M; --quick: "
                             "2k 20k 100k); the smallest is ingested for real")
    parser.add_argument("--questions", type=int,
                        help="questions per size (default 300; --quick 100)")
    parser.add_argument("--txtai-sizes", nargs="*", metavar="SIZE",
                        help="real sizes to run txtai on (default: every real size; --quick: "
                             "the smallest)")
    parser.add_argument("--cold-runs", type=int, help="timed `briefing ask` runs (default 5; "
                        "--quick 2)")
    parser.add_argument("--postgres-sizes", nargs="*", metavar="SIZE",
                        help="sizes also measured on PostgreSQL + pgvector, in an embedded "
                             "server started for the run (default: the smallest real size and "
                             "100k when planned; none given: no PostgreSQL column)")
    parser.add_argument("--postgres-only", action="store_true",
                        help="measure only the PostgreSQL column and the FAISS figures beside "
                             "it (shipped ingest, ask at the PostgreSQL sizes), not the encoder "
                             "floor, txtai, the bot or the cold start")
    parser.add_argument("--runs", type=int, default=3,
                        help="repeated ingest and ask measurements (default 3)")
    parser.add_argument("--ingest-passages", type=int, metavar="N",
                        help="time ingest on about N passages of the smallest set (default: "
                             f"all of it; --quick: {QUICK_INGEST})")
    parser.add_argument("--quality", type=Path,
                        default=ROOT / "benchmarks" / "results" / "ingest-quality.json",
                        help="cached `python -m benchmarks.quality` result to report")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".briefing" / "bench-cache",
                        help="benchmark cache kept between runs: passage vectors and txtai's "
                             "search index (default .briefing/bench-cache)")
    parser.add_argument("--work-dir", type=Path,
                        help="where corpora and indexes are built (default: a temporary folder,"
                             " deleted afterwards)")
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace, work_dir: Path) -> Plan:
    """The plan the options describe."""
    sizes = [parse_size(s) for s in (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))]
    real = sorted(s for s in sizes if s <= REAL_LIMIT)
    if args.txtai_sizes is not None:
        txtai_sizes = [parse_size(s) for s in args.txtai_sizes]
    else:
        txtai_sizes = real[:1] if args.quick else real
    postgres_sizes, postgres_skipped = postgres_plan(args, sizes, real)
    return Plan(root=ROOT, eval_dir=args.eval_dir.resolve(), work_dir=work_dir,
                cache_dir=args.cache_dir.resolve(), sizes=sizes,
                questions=args.questions or (100 if args.quick else 300),
                txtai_sizes=txtai_sizes,
                cold_runs=args.cold_runs or (3 if args.quick else 5), runs=args.runs,
                ingest_passages=args.ingest_passages or (QUICK_INGEST if args.quick
                                                         else 10**9),
                postgres_sizes=postgres_sizes, postgres_skipped=postgres_skipped,
                postgres_only=args.postgres_only)


def postgres_plan(args: argparse.Namespace, sizes: list[int], real: list[int]
                  ) -> tuple[list[int], dict[str, str]]:
    """The sizes with a PostgreSQL column, and those left out on purpose (with why)."""
    skipped: dict[str, str] = {}
    if args.postgres_sizes is not None:
        wanted = [parse_size(s) for s in args.postgres_sizes]
    else:
        wanted = [real[0], *[s for s in sizes if s == POSTGRES_LARGE]] if real else []
        if args.quick and not args.postgres_only and POSTGRES_LARGE in wanted \
                and not QUICK_POSTGRES_LARGE:
            wanted.remove(POSTGRES_LARGE)
            skipped[size_label(POSTGRES_LARGE)] = QUICK_POSTGRES_LARGE_SKIPPED
    return sorted(s for s in set(wanted) if s in sizes), skipped


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the exit status."""
    args = parse_args(argv)
    if not (args.eval_dir / "squad-v1.1-dev" / "dev-v1.1.json").is_file():
        print(f"benchmarks: no SQuAD dev set under {args.eval_dir}; pass --eval-dir",
              file=sys.stderr)
        return 2
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="briefing-bench-"))
    try:
        plan = make_plan(args, work_dir.resolve())
        machine = machine_info(ROOT)
        results = run(plan)
        if args.quality.is_file():
            results["quality"] = json.loads(args.quality.read_text(encoding="utf-8"))
        summary = (summarize_postgres_only(results, machine) if plan.postgres_only
                   else summarize(results, machine))
    finally:
        if args.work_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)
    summary["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print("\n".join(format_postgres(summary["postgres"])) if plan.postgres_only
          else format_table(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
