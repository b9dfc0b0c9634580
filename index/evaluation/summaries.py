"""Scoring article summaries against reference highlights (CNN/DailyMail style) with ROUGE.

Each row of the data set is `{"id", "article", "highlights"}` with the reference summary one
sentence a line. For every row our summary and LEAD-3 (the article's first three sentences) are
scored in the same run with Google's `rouge-score`: stemming on, F1 × 100, and `rougeLsum` with
one sentence a line. Article text is the body; sentences come from the project's splitter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from index.errors import BriefingError
from index.ingest.embedding import Embedder
from index.summarise.article import body_sentences, summarize_body

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
SUMMARY_SENTENCES = 3


def read_rows(path: Path, first: int = 1, last: int | None = None) -> list[dict]:
    """Rows `first`..`last` (1-based, inclusive) of a JSONL file of articles and their
    reference highlights; `last` None means to the end."""
    from index.evaluation.retrieval import read_json_lines

    path = Path(path)
    if not path.is_file():
        raise BriefingError(f"no such file: {path}")

    def problem(row: object) -> str | None:
        if isinstance(row, dict) and all(isinstance(row.get(key), str) and row[key].strip()
                                         for key in ("article", "highlights")):
            return None
        return 'not a JSON object with the texts "article" and "highlights"'

    rows = read_json_lines(path, problem, "no rows in it")
    last = len(rows) if last is None else last
    if not 1 <= first <= last <= len(rows):
        raise BriefingError(f"rows {first}-{last} are outside {path}, which has {len(rows)} rows")
    return rows[first - 1:last]


def scorer():
    """Google's ROUGE scorer as the data set's published numbers use it."""
    from rouge_score import rouge_scorer  # lazy: pulls in nltk

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge(rouge_scorer, reference: str, sentences: Sequence[str]) -> dict[str, float]:
    """F1 × 100 of each ROUGE type for a summary given as sentences (one a line for ROUGE-Lsum)."""
    prediction = "\n".join(" ".join(s.split()) for s in sentences)
    scores = rouge_scorer.score(reference, prediction)
    return {name: scores[name].fmeasure * 100 for name in ROUGE_TYPES}


def evaluate_summaries(path: Path, embedder: Embedder, first: int = 1, last: int | None = None,
                       sentences: int = SUMMARY_SENTENCES,
                       progress: Callable[[int, int], None] | None = None) -> dict:
    """Mean ROUGE of our summaries and of LEAD-3 over rows `first`..`last` of `path`.

    `same_as_lead3` is the share of rows where our summary is exactly the first sentences.
    """
    rows = read_rows(path, first, last)
    rouge_scorer = scorer()
    totals = {name: 0.0 for name in ROUGE_TYPES}
    lead_totals = {name: 0.0 for name in ROUGE_TYPES}
    same = 0
    for done, row in enumerate(rows, start=1):
        body = row["article"]
        chosen = summarize_body(body, [(0, len(body))], embedder, sentences)
        ours = [(s.start, s.end) for s in chosen]
        # The first sentences as a summary has them (a leading "(CNN)" left out), like for like.
        lead = [(s.start, s.end) for s in body_sentences(body, [(0, len(body))])[:sentences]]
        same += ours == lead
        for name, value in rouge(rouge_scorer, row["highlights"],
                                 [body[s:e] for s, e in ours]).items():
            totals[name] += value
        for name, value in rouge(rouge_scorer, row["highlights"],
                                 [body[s:e] for s, e in lead]).items():
            lead_totals[name] += value
        if progress:
            progress(done, len(rows))
    n = len(rows)
    result: dict = {"rows": n, "first_row": first, "last_row": first + n - 1,
                    "sentences": sentences}
    result.update({name: round(totals[name] / n, 2) for name in ROUGE_TYPES})
    result.update({f"lead3_{name}": round(lead_totals[name] / n, 2) for name in ROUGE_TYPES})
    result["same_as_lead3"] = round(same / n, 4)
    return result
