"""The summary JSON (the keys issue 5 asks for), the machine it ran on, and a readable table."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from benchmarks.synthetic import NOISE_SIGMA, PER_ARTICLE
from benchmarks.timing import per_second, ratio

# Distribution name -> key in the machine description.
PACKAGES = {"torch": "torch", "sentence-transformers": "sentence_transformers",
            "transformers": "transformers", "faiss-cpu": "faiss", "bm25s": "bm25s",
            "numpy": "numpy", "onnxruntime": "onnxruntime", "tokenizers": "tokenizers",
            "txtai": "txtai"}

METHOD = {
    "encoder": "SentenceTransformer(<bundled model dir>, device='cpu').encode(texts, "
               "batch_size=32) on exactly the texts our reindex embedded (title + passage); "
               "query encode is encode(question) for one real SQuAD question at a time",
    "ingest": "BriefingIndex(empty dir).reindex(corpus of article files): read, split, embed, "
              "FAISS, BM25, SQLite; model loaded and warmed before timing (all three sides); "
              "precision auto (PyTorch in bfloat16 where the CPU has it natively), and again "
              "in float32 when auto chose bfloat16",
    "ask": "warm in-process BriefingIndex.ask(question) (k=3, highlights on) over real SQuAD "
           "dev questions after 5 warm-up questions; a fresh process per size",
    "real_sets": "SQuAD v1.1 dev articles, then SciFact abstracts, then CNN articles cut into "
                 "paragraphs of whole sentences; vectors of sets after the first come from an "
                 "embedding cache keyed by SHA-1 of each text (same model fingerprint)",
    "synthetic_sets": f"texts: 2 sentences of a real passage (shuffled) + 1 sentence of "
                      f"another; vectors: that real passage's embedding + N(0, "
                      f"{NOISE_SIGMA}^2) noise per dimension, renormalised (cosine ~0.9 to "
                      f"the original); {PER_ARTICLE} passages per article; written with "
                      f"index.snapshot.write_generation",
    "rss": "peak RSS (ru_maxrss) of the process that opens the index and asks the questions",
    "txtai": "Embeddings(path=<bundled model dir>, content=True, hybrid=True); index() of the "
             "same texts, then search(question, 3)",
    "cold_start": "median wall time of `briefing ask` in a new process on an already built "
                  "index of corpus/ (OS file cache warm); breakdown from a probe process",
}


def machine_info(root: Path) -> dict:
    """Cores, memory, CPU, Python and library versions, date, load and the git commit."""
    info = {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": _git(root, "rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git(root, "status", "--porcelain")),
    }
    for package, key in PACKAGES.items():
        try:
            info[key] = version(package)
        except PackageNotFoundError:
            continue
    return info


def summarize(results: dict, machine: dict) -> dict:
    """The summary: the issue's keys first, then per-size detail and the raw results."""
    base = results["base"]
    floor, ingest, sizes = results["floor"], results["ingest"], results["sizes"]
    encode_p50 = floor["query_encode"]["p50_ms"]
    p50 = {label: s["ask"]["ask"]["p50_ms"] for label, s in sizes.items()}
    p99 = {label: s["ask"]["ask"]["p99_ms"] for label, s in sizes.items()}
    peer = results["txtai"].get(base)
    cold = results["cold_start"]
    float32 = results.get("ingest_float32")
    return {
        "encoder_passages_per_s": floor["passages_per_s"],
        "query_encode_ms_p50": encode_p50,
        "ingest_passages_per_s": ingest["passages_per_s"],
        "ingest_ratio": ratio(ingest["passages_per_s"], floor["passages_per_s"]),
        "ask_ms_p50": p50,
        "ask_ms_p99": p99,
        "ask_ratio_100k": ratio(p50.get("100k"), encode_p50),
        "ask_ratio": {label: ratio(v, encode_p50) for label, v in p50.items()},
        "txtai_ingest_passages_per_s": peer["passages_per_s"] if peer else None,
        "txtai_ask_ms_p50": peer["ask"]["p50_ms"] if peer else None,
        "txtai_ask_ms_p99": peer["ask"]["p99_ms"] if peer else None,
        "vs_txtai_ingest": ratio(ingest["passages_per_s"], peer["passages_per_s"])
        if peer else None,
        "vs_txtai_ask": ratio(peer["ask"]["p50_ms"], p50[base]) if peer else None,
        "vs_txtai_at": base if peer else None,
        "txtai_by_size": {label: {"ingest_passages_per_s": t["passages_per_s"],
                                  "ask_ms_p50": t["ask"]["p50_ms"],
                                  "ask_ms_p99": t["ask"]["p99_ms"], "rss_mb": t["rss_mb"],
                                  "vs_txtai_ask": ratio(t["ask"]["p50_ms"], p50.get(label))}
                          for label, t in results["txtai"].items()},
        "rss_mb": {label: s["ask"]["rss_mb"] for label, s in sizes.items()},
        "cold_start_s": cold["wall_s"],
        "cold_start_breakdown": cold["breakdown"],
        "passages": {label: s["ask"]["passages"] for label, s in sizes.items()},
        "ingest_non_encoder_share": ingest["non_encoder_share"],
        "ours_backend": ingest.get("backend"),
        "ours_bulk_precision": ingest.get("bulk_precision"),
        "ingest_float32_passages_per_s": float32["passages_per_s"] if float32 else None,
        "ingest_ratio_float32": ratio(float32["passages_per_s"], floor["passages_per_s"])
        if float32 else None,
        "ingest_float32_non_encoder_share": float32["non_encoder_share"] if float32 else None,
        "ours_encoder_passages_per_s": per_second(ingest["embedded"], ingest["encoder_s"]),
        "ours_query_encode_ms_p50": sizes[base]["ask"]["query_encode"]["p50_ms"],
        "ask_non_encoder_ms_p50": {
            label: round(s["ask"]["ask"]["p50_ms"] - s["ask"]["query_encode"]["p50_ms"], 2)
            for label, s in sizes.items()},
        "questions": results["questions"],
        "machine": machine,
        "method": METHOD,
        "details": results,
    }


def format_table(summary: dict) -> str:
    """The summary as aligned text for the terminal."""
    m = summary["machine"]
    details = summary["details"]
    lines = [f"Machine: {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python "
             f"{m['python']}, torch {m.get('torch', '?')}, {m['date']}, load {m['load_average']}"
             f", commit {m['commit']}{'+changes' if m['uncommitted_changes'] else ''}", ""]
    base = details["base"]
    rows = [
        ("bare encoder, passages/s", summary["encoder_passages_per_s"],
         f"ours ({summary['ours_bulk_precision']}) inside ingest: "
         f"{summary['ours_encoder_passages_per_s']}"),
        ("query encode p50, ms", summary["query_encode_ms_p50"],
         f"ours ({summary['ours_backend']}): {summary['ours_query_encode_ms_p50']}"),
        (f"ours ingest ({base}), passages/s", summary["ingest_passages_per_s"],
         f"ingest_ratio {summary['ingest_ratio']}, non-encoder share "
         f"{summary['ingest_non_encoder_share']}"),
        (f"txtai ingest ({base}), passages/s", summary["txtai_ingest_passages_per_s"],
         f"vs_txtai_ingest {summary['vs_txtai_ingest']}"),
        (f"txtai search ({base}) p50/p99, ms",
         _pair(summary["txtai_ask_ms_p50"], summary["txtai_ask_ms_p99"]),
         f"vs_txtai_ask {summary['vs_txtai_ask']}"),
        ("briefing ask cold start, s", summary["cold_start_s"],
         ", ".join(f"{k.removesuffix('_s')} {v}" for k, v in
                   summary["cold_start_breakdown"].items())),
    ]
    if summary["ingest_float32_passages_per_s"] is not None:  # only when auto chose bfloat16
        rows.insert(3, (f"ours ingest ({base}) in float32",
                        summary["ingest_float32_passages_per_s"],
                        f"ratio {summary['ingest_ratio_float32']}, non-encoder share "
                        f"{summary['ingest_float32_non_encoder_share']}"))
    lines += [f"{name:<36} {value!s:>12}   {note}" for name, value, note in rows]
    lines += ["", f"{'size':<6} {'kind':<10} {'passages':>9} {'ask p50 ms':>11} "
              f"{'ask p99 ms':>11} {'p50/encode':>10} {'non-enc ms':>10} {'RSS MB':>8} "
              f"{'load s':>7} {'build s':>8}"]
    for label, entry in details["sizes"].items():
        ask = entry["ask"]
        lines.append(f"{label:<6} {entry['kind']:<10} {ask['passages']:>9,} "
                     f"{ask['ask']['p50_ms']:>11} {ask['ask']['p99_ms']:>11} "
                     f"{summary['ask_ratio'][label]!s:>10} "
                     f"{summary['ask_non_encoder_ms_p50'][label]:>10} {ask['rss_mb']:>8} "
                     f"{ask['load_s']:>7} {entry['build']['seconds']:>8}")
    for label, peer in summary["txtai_by_size"].items():
        lines.append(f"txtai {label}: ingest {peer['ingest_passages_per_s']} passages/s, search "
                     f"p50 {peer['ask_ms_p50']} ms, p99 {peer['ask_ms_p99']} ms, RSS "
                     f"{peer['rss_mb']} MB, vs_txtai_ask {peer['vs_txtai_ask']}")
    lines.append(f"\n{summary['questions']} questions per size; total {details['total_s']} s")
    return "\n".join(lines)


def _pair(a: float | None, b: float | None) -> str:
    return f"{a}/{b}" if a is not None else "None"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()
