"""Measuring an index: seed-style question files, BEIR corpora and SQuAD, with pure metrics."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from index import BriefingError, BriefingIndex
from index.ingest.articles import Article, article_from_text
from index.ingest.reindex import Progress
from index.search.gate import calibrate
from index.search.hybrid import rank, search


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON-lines file, skipping blank lines."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_json_lines(path: Path, problem: Callable[[object], str | None],
                    empty: str) -> list[dict]:
    """Rows of a JSON-lines file; raises BriefingError naming the file and line of the first
    row that `problem` finds fault with (it gets None for a line that is not JSON), or saying
    `empty` when no row is there."""
    rows = []
    try:
        with open(path, encoding="utf-8-sig") as handle:  # a byte-order mark is no row
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    row = None
                if fault := problem(row):
                    raise BriefingError(f"{path}, line {number}: {fault}")
                rows.append(row)
    except UnicodeDecodeError as err:
        raise BriefingError(f"{path}: not UTF-8 text (byte {err.start})") from None
    if not rows:
        raise BriefingError(f"{path}: {empty}")
    return rows


def read_questions(path: Path, required: tuple[str, ...] = ("q",)) -> list[dict]:
    """Rows of a question file (JSON lines, each an object holding the `required` keys);
    raises BriefingError naming the file and line of the first row that is not one."""
    def problem(row: object) -> str | None:
        if not isinstance(row, dict) or any(key not in row for key in required):
            return "not a JSON object with " + ", ".join(f'"{key}"' for key in required)
        return _bad_value(row)

    return read_json_lines(path, problem, "no questions in it")


_QUESTION_KEYS = ("q", "first", "followup")  # asked: text with a word in it
_TEXT_KEYS = ("_id", "text", "article", "kind")
_PARAGRAPH_KEYS = ("paras", "first_paras")  # ¶ numbers, from 1


def _bad_value(row: dict) -> str | None:
    """What is wrong with a row's known keys (a number where a question goes, "15" where a
    list of paragraphs goes, which would be read as ¶1 and ¶5), or None."""
    for key in _QUESTION_KEYS + _TEXT_KEYS:
        if key in row and not isinstance(row[key], str):
            return f'"{key}" must be text, not {json.dumps(row[key])[:40]}'
    for key in _QUESTION_KEYS:
        if key in row and not any(c.isalnum() for c in row[key]):
            return f'"{key}" has no words'
    for key in _PARAGRAPH_KEYS:
        value = row.get(key)
        if value is not None and not (isinstance(value, list) and all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)):
            return f'"{key}" must be a list of paragraph numbers (from 1), such as [4, 5]'
    return None


# --- metrics -------------------------------------------------------------------------------

def first_relevant_rank(ranked: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant result, or None."""
    return next((i + 1 for i, relevant in enumerate(ranked) if relevant), None)


def ndcg_at(ranked_ids: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of one ranking (graded gains, log2 discount)."""
    dcg = sum(gains.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked_ids[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked_ids: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant documents found in the top `k`."""
    relevant = {r for r in relevant}
    return len(relevant & set(ranked_ids[:k])) / len(relevant) if relevant else 0.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean, 0 for no values."""
    return sum(values) / len(values) if values else 0.0


# --- question files (seed-style) -----------------------------------------------------------

def evaluate_questions(index: BriefingIndex, rows: list[dict], k: int = 3) -> dict:
    """Recall@1/@3, MRR and gate accuracy for rows `{"q", "paras"?, "article"?}`."""
    positives = [r for r in rows if r.get("paras")]
    negatives = [r for r in rows if not r.get("paras")]
    first_ranks: list[int | None] = []
    answered = refused = 0
    details = []
    positive_confidence: list[float] = []
    negative_confidence: list[float] = []
    for row in positives:
        answer = index.ask(row["q"], k=max(k, 3))
        gold = set(row["paras"])
        marks = [bool(gold & set(h.paragraphs)) and row.get("article", h.article) == h.article
                 for h in answer.hits]
        first_ranks.append(first_relevant_rank(marks))
        answered += answer.answered
        positive_confidence.append(answer.confidence)
        details.append({"q": row["q"], "answered": answer.answered,
                        "confidence": answer.confidence, "rank": first_ranks[-1]})
    for row in negatives:
        answer = index.ask(row["q"], k=1)
        refused += not answer.answered
        negative_confidence.append(answer.confidence)
        details.append({"q": row["q"], "answered": answer.answered,
                        "confidence": answer.confidence, "rank": None})
    n = len(positives)
    return {
        "questions": n,
        "negatives": len(negatives),
        "recall@1": mean([r == 1 for r in first_ranks]) if n else 0.0,
        "recall@3": mean([r is not None and r <= 3 for r in first_ranks]) if n else 0.0,
        "mrr": mean([1 / r if r else 0.0 for r in first_ranks]) if n else 0.0,
        "on_topic_answered": answered / n if n else 0.0,
        "off_topic_refused": refused / len(negatives) if negatives else 0.0,
        "suggested_gate_threshold": calibrate(positive_confidence, negative_confidence),
        "details": details,
    }


# --- BEIR ----------------------------------------------------------------------------------

def evaluate_beir(index: BriefingIndex, beir_dir: Path, split: str = "test",
                  progress: Progress | None = None) -> dict:
    """nDCG@10, recall@10/@100 and MRR@10 of document retrieval on a BEIR-layout data set."""
    beir_dir = Path(beir_dir)
    articles = [article_from_text(str(row["_id"]), row.get("title", ""), row.get("text", ""))
                for row in read_jsonl(beir_dir / "corpus.jsonl") if row.get("text", "").strip()]
    index.index_articles(articles, progress)
    queries = {str(r["_id"]): r["text"] for r in read_jsonl(beir_dir / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(beir_dir / "qrels" / f"{split}.tsv", encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0] == "query-id":
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    snapshot = index.snapshot()
    article_ids = snapshot.catalog.ids  # by article number
    scores: dict[str, list[float]] = {"ndcg@10": [], "recall@10": [], "recall@100": [],
                                      "mrr@10": []}
    for qid, gains in qrels.items():
        if qid not in queries:
            continue
        ranked = rank(snapshot, index.embedder, queries[qid], candidates=300)
        docs: list[str] = []
        for number in snapshot.articles.articles_of(ranked.ids):  # best passage decides
            doc = article_ids[number]
            if doc not in docs:
                docs.append(doc)
        relevant = [d for d, g in gains.items() if g > 0]
        scores["ndcg@10"].append(ndcg_at(docs, gains, 10))
        scores["recall@10"].append(recall_at(docs, relevant, 10))
        scores["recall@100"].append(recall_at(docs, relevant, 100))
        first = first_relevant_rank([d in relevant for d in docs[:10]])
        scores["mrr@10"].append(1 / first if first else 0.0)
    result = {name: round(mean(values), 4) for name, values in scores.items()}
    result["queries"] = len(scores["ndcg@10"])
    result["documents"] = len(articles)
    result["passages"] = snapshot.size
    return result


# --- SQuAD ---------------------------------------------------------------------------------

def squad_articles(squad: dict) -> tuple[list[Article], list[tuple[str, list[str]]]]:
    """Articles (paragraphs joined by blank lines) and (question, answers) pairs of SQuAD."""
    articles = []
    questions = []
    for number, entry in enumerate(squad["data"]):
        title = entry["title"].replace("_", " ")
        contexts = [p["context"].strip() for p in entry["paragraphs"]]
        articles.append(article_from_text(f"squad-{number:03d}", title, "\n\n".join(contexts)))
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                questions.append((qa["question"], [a["text"] for a in qa["answers"]]))
    return articles, questions


def read_squad(path: Path) -> tuple[list[Article], list[tuple[str, list[str]]]]:
    """`squad_articles` of a SQuAD v1.1 JSON file; BriefingError naming the file when it
    is not one."""
    from index.evaluation.labelled_sets import squad_by_article

    articles, questions = squad_by_article(path)
    return articles, [(question, list(answers)) for asked in questions
                      for question, answers in asked]


def check_beir(beir_dir: Path) -> None:
    """BriefingError naming the file unless `beir_dir` holds a BEIR-layout data set whose
    corpus and queries rows have "_id" and "text"."""
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (beir_dir / name).is_file():
            raise BriefingError(f"{beir_dir} is not a BEIR data set (no {name})")
        read_questions(beir_dir / name, ("_id", "text"))


def evaluate_squad(index: BriefingIndex, squad_file: Path, limit: int | None = None,
                   progress: Progress | None = None,
                   on_question: Callable[[int, int], None] | None = None) -> dict:
    """Recall@1/@5: does a top passage contain a gold answer span?"""
    articles, questions = read_squad(squad_file)
    index.index_articles(articles, progress)
    if limit:
        questions = questions[:limit]
    at1 = at5 = 0
    for i, (question, answers) in enumerate(questions):
        hits = _plain_hits(index, question, 5)
        marks = [any(a in text for a in answers) for text in hits]
        at1 += bool(marks[:1] and marks[0])
        at5 += any(marks)
        if on_question:
            on_question(i + 1, len(questions))
    n = len(questions)
    return {"questions": n, "recall@1": round(at1 / n, 4) if n else 0.0,
            "recall@5": round(at5 / n, 4) if n else 0.0,
            "articles": len(articles), "passages": index.snapshot().size}


def _plain_hits(index: BriefingIndex, question: str, k: int) -> list[str]:
    answer = search(index.snapshot(), index.embedder, question, k, index.gate_threshold,
                    highlights=False)
    return [h.text for h in answer.hits]


def cache_dir_for(base: Path, dataset: Path) -> Path:
    """A stable index directory for an evaluation data set, reused while it is unchanged."""
    digest = hashlib.sha256(str(Path(dataset).resolve()).encode()).hexdigest()[:10]
    return Path(base) / f"{Path(dataset).name}-{digest}"
