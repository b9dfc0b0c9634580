"""`briefing eval --in-out / --archive / --fit`: the labelled sets, measured and fitted."""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

from bot.settings import Settings
from index import BriefingError, BriefingIndex
from index.evaluation import labelled as measure
from index.evaluation import labelled_sets as sets
from index.evaluation.retrieval import cache_dir_for, read_questions
from index.ingest.articles import read_corpus
from index.ingest.embedding import Embedder
from index.search.hybrid import DEFAULT_WEIGHTS, RankWeights

SQUAD_FIT_SAMPLE = 3  # rank weights are fitted on every 3rd covered SQuAD fit question
ARTICLE_DEPTH = 10  # hits read for a highlight's article rank (its own story among the first 3)


def eval_labelled(args: argparse.Namespace, settings: Settings, cache: Path) -> int:
    """Run the chosen evaluation, print a table (or JSON) and return the exit status."""
    result = _evaluate(args, settings, cache)  # a file of the wrong kind: BriefingError
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        print(format_table(result))
    return 0


def _evaluate(args: argparse.Namespace, settings: Settings, cache: Path) -> dict:
    if args.in_out:
        labelled = _in_out(args.in_out)
        index = prepared(settings, cache, args.in_out, "in-out", labelled)
        result = measure.evaluate_labelled(index, labelled)
        if args.in_out.suffix == ".json":
            single = _single_asked(settings, cache, args.in_out)
            for half, asked in single.items():
                result[f"one article {half}"] = measure.score(asked, index.gate_threshold)
    elif args.archive:
        result = _archive(args, settings, cache)
    elif args.recency:
        result = _recency(args.recency, settings, cache)
    else:
        result = _fit(args.fit[0], args.fit[1], settings, cache)
    return result


@functools.cache
def _embedder(model_path: Path | None, precision: str) -> Embedder:
    """One model for every index an evaluation opens (the one-article set opens 48)."""
    return Embedder(model_path, precision=precision)


def _in_out(path: Path) -> sets.LabelledSet:
    labelled = sets.squad_in_out(path) if path.suffix == ".json" else sets.cnn_in_out(path)
    if not labelled.questions or not labelled.articles:
        raise BriefingError(f"{path} holds no questions to evaluate")
    return labelled


def prepared(settings: Settings, cache: Path, data: Path, kind: str,
              labelled: sets.LabelledSet) -> BriefingIndex:
    """An index of `labelled`'s articles, cached under `cache` by data file and `kind`
    (built with a progress bar the first time)."""
    from bot.cli.building import progress_bar

    base = cache_dir_for(cache, data)
    embedder = _embedder(settings.model_path, settings.embed_precision)
    index = BriefingIndex(base.parent / f"{base.name}-{kind}", embedder=embedder,
                          gate_threshold=settings.gate_threshold,
                          max_question_chars=settings.max_question_chars)
    with progress_bar(f"Embedding ({labelled.name})") as update:
        measure.prepare(index, labelled, update)
    return index


def _single_asked(settings: Settings, cache: Path, squad: Path,
                  weights: RankWeights = DEFAULT_WEIGHTS) -> dict[str, list[measure.Asked]]:
    """Each SQuAD article indexed alone and asked about (see `squad_single`), by half."""
    asked: dict[str, list[measure.Asked]] = {"fit": [], "test": []}
    for labelled in sets.squad_single(squad):
        index = prepared(settings, cache, squad, f"single/{labelled.name}", labelled)
        for half in asked:
            asked[half] += measure.ask_all(index, labelled.half(half), weights=weights)
    return asked


def _archive_set(cnn: Path, settings: Settings, questions: list[Path], per_line: bool
                 ) -> sets.LabelledSet:
    sets.read_cnn(cnn)  # a file of the wrong kind is named before the corpus is read
    corpus, _ = read_corpus(settings.corpus_dir)
    if not corpus:
        raise BriefingError(f"no articles in {settings.corpus_dir}")
    rows = [row for path in questions for row in read_questions(path)]
    return sets.archive_set(cnn, corpus, rows, per_line)


def _archive(args: argparse.Namespace, settings: Settings, cache: Path) -> dict:
    labelled = _archive_set(args.archive, settings, args.questions, args.per_line)
    index = prepared(settings, cache, args.archive, "archive", labelled)
    seed = [q for q in labelled.questions if q.article == labelled.articles[0].id]
    highlights = [q for q in labelled.questions if q not in seed]
    result = {}
    if seed:
        result["seed questions"] = measure.score(measure.ask_all(index, seed),
                                                 index.gate_threshold)
    for half in ("fit", "test"):
        chosen = [q for q in highlights if q.half == half]
        result[f"highlights {half}"] = measure.score(
            measure.ask_all(index, chosen, k=ARTICLE_DEPTH), index.gate_threshold)
    return result


RECENCY_GRID = (0.0, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0)
PLAIN_LOSS_ALLOWED = 0.01  # recall@1 that questions not asking for the latest may lose


def _recency(cnn: Path, settings: Settings, cache: Path) -> dict:
    """For each recency weight: how often "what's the latest on …" finds the newest report of
    its story first, and how often a report's own highlights (not asking for the latest) still
    find that report first, on each half of the dated CNN stories (`recency_set`)."""
    import dataclasses

    labelled = sets.recency_set(cnn)
    if not labelled.questions:
        raise BriefingError(f"{cnn} holds no story reported more than once")
    index = prepared(settings, cache, cnn, "recency", labelled)
    rows = []
    for weight in RECENCY_GRID:
        weights = dataclasses.replace(DEFAULT_WEIGHTS, recency=weight)
        row: dict = {"recency weight": weight}
        for half in ("fit", "test"):
            questions = labelled.half(half)
            for kind, chosen in (("latest", [q for q in questions if "latest" in q.text]),
                                 ("plain", [q for q in questions if "latest" not in q.text])):
                asked = measure.ask_all(index, chosen, weights=weights)
                row[f"{kind} {half}"] = measure.score(asked, 0.5)["article_recall@1"]
        rows.append(row)
    floor = rows[0]["plain fit"] - PLAIN_LOSS_ALLOWED
    best = max((r for r in rows if r["plain fit"] >= floor), key=lambda r: r["latest fit"])
    return {"shipped recency weight": DEFAULT_WEIGHTS.recency,
            f"best on the fit half (most latest, plain within {PLAIN_LOSS_ALLOWED} of no "
            f"recency)": best["recency weight"],
            "article recall@1 by recency weight": [
                " ".join(f"{k}={v}" for k, v in r.items()) for r in rows]}


def _fit(squad: Path, cnn: Path, settings: Settings, cache: Path) -> dict:
    squad_set, cnn_set = sets.squad_in_out(squad), sets.cnn_in_out(cnn)
    archive = _archive_set(cnn, settings, [], False)
    squad_index = prepared(settings, cache, squad, "in-out", squad_set)
    cnn_index = prepared(settings, cache, cnn, "in-out", cnn_set)
    archive_index = prepared(settings, cache, cnn, "archive", archive)
    squad_covered = [q for q in squad_set.half("fit") if q.covered][::SQUAD_FIT_SAMPLE]
    best, table = measure.fit_rank_weights(
        [(archive_index, archive.half("fit")), (squad_index, squad_covered)])
    # The gate is fitted to the ranking that ships, which may differ from the grid's best
    # (the shipped weights also keep SciFact's train split: see RankWeights).
    weights = DEFAULT_WEIGHTS
    single = _single_asked(settings, cache, squad, weights)
    fit_answers = [measure.ask_all(squad_index, squad_set.half("fit"), weights=weights),
                   measure.ask_all(cnn_index, cnn_set.half("fit"), weights=weights),
                   single["fit"]]
    intercept, coefficients = measure.fit_gate(fit_answers)
    threshold = measure.choose_threshold(
        [measure.rescore(a, intercept, coefficients) for a in fit_answers])
    result: dict = {"rank weights (best on the grid)": vars(best),
                    "rank weights (shipped; the gate is fitted to these)": vars(weights),
                    "gate": {"intercept": intercept, "coefficients": coefficients,
                             "threshold": threshold},
                    "rank grid (mean recall@1, archive highlights and SQuAD fit)": [
                        (round(m, 4), vars(w), r) for m, w, r in table]}
    for (name, index, labelled), fitted in zip(
            (("squad", squad_index, squad_set), ("cnn", cnn_index, cnn_set)), fit_answers,
            strict=False):
        test = measure.ask_all(index, labelled.half("test"), weights=weights)
        for half, asked in (("fit", fitted), ("test", test)):
            result[f"{name} {half}"] = measure.score(
                measure.rescore(asked, intercept, coefficients), threshold)
    for half, asked in single.items():
        result[f"squad one article {half}"] = measure.score(
            measure.rescore(asked, intercept, coefficients), threshold)
    return result


def format_table(result: dict) -> str:
    """Sections of flat metrics side by side (one column each); other values on their own."""
    columns = {k: v for k, v in result.items() if isinstance(v, dict) and "covered" in v}
    lines = []
    for key, value in result.items():
        if key in columns:
            continue
        if isinstance(value, list):
            lines += [f"{key}:", *(f"  {row}" for row in value)]
        else:
            lines.append(f"{key}: {value}")
    if columns:
        metrics = list(dict.fromkeys(m for v in columns.values() for m in v))
        width = max(len(m) for m in metrics)
        lines.append(" " * width + "".join(f"  {c:>18}" for c in columns))
        for metric in metrics:
            cells = "".join(f"  {_cell(v.get(metric)):>18}" for v in columns.values())
            lines.append(f"{metric:<{width}}{cells}")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
