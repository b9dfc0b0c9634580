"""Paths and small real data the tests share."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def squad_articles(shared_eval: Path, count: int, offset: int = 0,
                   paragraphs: int = 8) -> dict[str, str]:
    """Small real articles (name -> Markdown) made from SQuAD paragraphs, for temp corpora."""
    data = json.loads((shared_eval / "squad-v1.1-dev" / "dev-v1.1.json").read_text("utf-8"))
    articles = {}
    for entry in data["data"][offset:offset + count]:
        texts = [p["context"].strip() for p in entry["paragraphs"][:paragraphs]]
        articles[f"squad-{entry['title'].lower()}"] = (
            f"---\ntitle: {entry['title'].replace('_', ' ')}\n---\n\n" + "\n\n".join(texts))
    return articles
