"""Real text for the benchmarks: SQuAD, SciFact and CNN as articles, and SQuAD questions.

Nothing here imports the index or the model: it only reads the evaluation files and writes
article files that `briefing reindex` reads like any corpus.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SQUAD_FILE = Path("squad-v1.1-dev") / "dev-v1.1.json"
SCIFACT_FILE = Path("scifact") / "corpus.jsonl"
CNN_FILE = Path("cnn-1000") / "test.jsonl"

# The splitter's passage limit (index.ingest.splitting.MAX_PASSAGE_WORDS), used only to estimate.
PASSAGE_WORDS = 150
CNN_PARAGRAPH_WORDS = 80
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=[\"“‘(]?[A-Z0-9])")


@dataclass(frozen=True)
class Doc:
    """One real article: an id usable as a file name, a title and its paragraphs."""

    id: str
    title: str
    paragraphs: tuple[str, ...]


def squad_docs(eval_dir: Path) -> list[Doc]:
    """The 48 SQuAD v1.1 dev articles, one doc each, paragraphs as SQuAD gives them."""
    data = json.loads((Path(eval_dir) / SQUAD_FILE).read_text(encoding="utf-8"))
    return [Doc(f"squad-{n:03d}", entry["title"].replace("_", " "),
                tuple(p["context"] for p in entry["paragraphs"]))
            for n, entry in enumerate(data["data"])]


def squad_questions(eval_dir: Path, count: int) -> list[str]:
    """`count` SQuAD dev questions spread evenly over the whole set (deterministic)."""
    data = json.loads((Path(eval_dir) / SQUAD_FILE).read_text(encoding="utf-8"))
    questions = [" ".join(qa["question"].split()) for entry in data["data"]
                 for paragraph in entry["paragraphs"] for qa in paragraph["qas"]]
    questions = [q for q in questions if q]
    if count >= len(questions):
        return questions
    return [questions[i * len(questions) // count] for i in range(count)]


def scifact_docs(eval_dir: Path) -> list[Doc]:
    """SciFact abstracts, one single-paragraph doc each (empty abstracts dropped)."""
    docs = []
    for row in _jsonl(Path(eval_dir) / SCIFACT_FILE):
        if row.get("text", "").strip():
            docs.append(Doc(f"scifact-{row['_id']}", row.get("title", "") or str(row["_id"]),
                            (row["text"],)))
    return docs


def cnn_docs(eval_dir: Path) -> list[Doc]:
    """CNN articles cut into paragraphs of whole sentences; the first highlight is the title."""
    docs = []
    for row in _jsonl(Path(eval_dir) / CNN_FILE):
        title = (row.get("highlights") or "").strip().split("\n")[0] or row["id"]
        paragraphs = group_sentences(split_sentences(row["article"]), CNN_PARAGRAPH_WORDS)
        if paragraphs:
            docs.append(Doc(f"cnn-{row['id']}", title, tuple(paragraphs)))
    return docs


def real_docs(eval_dir: Path) -> list[Doc]:
    """All real docs, SQuAD first (so the small set is SQuAD), then SciFact, then CNN."""
    return squad_docs(eval_dir) + scifact_docs(eval_dir) + cnn_docs(eval_dir)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` by a cheap punctuation rule (good enough to recombine text)."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def group_sentences(sentences: Iterable[str], max_words: int) -> list[str]:
    """Consecutive sentences joined into paragraphs of at most `max_words` words (or one)."""
    paragraphs: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        if current and words + n > max_words:
            paragraphs.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += n
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def estimate_passages(doc: Doc) -> int:
    """About how many passages the splitter makes of `doc` (no sentence splitting needed)."""
    return sum(max(1, math.ceil(len(p.split()) / PASSAGE_WORDS)) for p in doc.paragraphs)


def take_passages(docs: Sequence[Doc], target: int) -> list[Doc]:
    """The shortest prefix of `docs` estimated to hold at least `target` passages."""
    chosen: list[Doc] = []
    total = 0
    for doc in docs:
        if total >= target:
            break
        chosen.append(doc)
        total += estimate_passages(doc)
    return chosen


def article_markdown(doc: Doc) -> str:
    """The doc as a corpus file: front matter with the title, paragraphs between blank lines."""
    body = "\n\n".join(" ".join(p.split()) for p in doc.paragraphs if p.strip())
    return f"---\ntitle: {json.dumps(doc.title, ensure_ascii=False)}\n---\n\n{body}\n"


def write_corpus(docs: Iterable[Doc], directory: Path) -> int:
    """Write each doc as `<id>.md` into `directory`; returns the number of files."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for doc in docs:
        (directory / f"{doc.id}.md").write_text(article_markdown(doc), encoding="utf-8")
        count += 1
    return count


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
