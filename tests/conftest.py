"""Shared fixtures: the real bundled model, a copy of the corpus, a built seed index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index import BriefingIndex
from index.evaluation.labelled_sets import LabelledQuestion, squad_in_out
from index.ingest.embedding import Embedder
from tests.postgres import postgres_url  # noqa: F401 (one PostgreSQL per session, on first use)
from tests.support import ROOT, SHARED


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """The public evaluation sets beside the checkout."""
    folder = SHARED / "eval"
    if not folder.is_dir():
        pytest.skip(f"evaluation data not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def shared_seed() -> Path:
    """The seed article as the user gave it (one paragraph a line), beside the checkout."""
    path = SHARED / "seed" / "article.txt"
    if not path.is_file():
        pytest.skip(f"original seed article not found at {path}")
    return path


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled all-MiniLM-L6-v2, loaded once per test run."""
    return Embedder()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's corpus/ folder."""
    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> BriefingIndex:
    """The bundled corpus, indexed once for read-only tests."""
    base = tmp_path_factory.mktemp("seed")
    index = BriefingIndex(base / "index", embedder=embedder)
    index.reindex(ROOT / "corpus")
    return index


@pytest.fixture(scope="session")
def squad_sample(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, shared_eval: Path
                 ) -> tuple[BriefingIndex, list[LabelledQuestion]]:
    """Six SQuAD articles indexed, with the covered questions about them."""
    labelled = squad_in_out(shared_eval / "squad-v1.1-dev" / "dev-v1.1.json")
    articles = labelled.articles[:6]
    ids = {a.id for a in articles}
    questions = [q for q in labelled.questions if q.covered and q.article in ids]
    index = BriefingIndex(tmp_path_factory.mktemp("squad") / "index", embedder=embedder)
    index.index_articles(articles)
    return index, questions
