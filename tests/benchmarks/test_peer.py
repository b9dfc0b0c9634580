"""The peer's side of the benchmarks: txtai on the bundled model."""

import importlib.util
import os
from pathlib import Path

import pytest

from benchmarks.peer import measure_txtai

pytestmark = pytest.mark.skipif(importlib.util.find_spec("txtai") is None,
                                reason="txtai is a benchmark extra: pip install -e '.[bench]'")
ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["Why did Erdoğan approve Sweden?", "What did Russia withdraw from?"]


def paragraphs() -> list[str]:
    text = next((ROOT / "corpus").glob("*.md")).read_text(encoding="utf-8")
    return [p for p in text.split("\n\n") if len(p) > 200]


def test_the_search_index_is_built_once_then_loaded_with_the_same_passages(tmp_path):
    texts = paragraphs()
    first = measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts,
                          cache_dir=tmp_path)
    again = measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts,
                          cache_dir=tmp_path)
    assert first["search_index"].startswith("built") and "loaded" in again["search_index"]
    assert first["passages"] == again["passages"] == len(texts)
    other = measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts[:-1],
                          cache_dir=tmp_path)
    assert other["search_index"].startswith("built")  # other texts: not the saved index
    assert other["passages"] == len(texts) - 1


def test_a_save_stopped_half_way_is_not_loaded_by_the_next_run(tmp_path, monkeypatch):
    from txtai import Embeddings
    from txtai.embeddings.index import Configuration

    def stopped(self, path, *args, **kwargs):  # the config is written, then the run stops
        os.makedirs(path, exist_ok=True)
        Configuration().save(self.config, path)
        raise KeyboardInterrupt

    texts = paragraphs()
    with monkeypatch.context() as patched:
        patched.setattr(Embeddings, "save", stopped)
        with pytest.raises(KeyboardInterrupt):
            measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts,
                          cache_dir=tmp_path)
    again = measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts,
                          cache_dir=tmp_path)
    assert again["search_index"].startswith("built") and again["passages"] == len(texts)
    last = measure_txtai(texts[:4], QUESTIONS, warmup=1, runs=1, search_texts=texts,
                         cache_dir=tmp_path)
    assert "loaded" in last["search_index"]
