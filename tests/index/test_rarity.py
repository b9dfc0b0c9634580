"""Word rarity in English, which weighs the gate's coverage, does not depend on the corpus."""

from index.search.rarity import CEILING, FLOOR, rarities
from index.store.lexical import stems, words


def _weights(question: str) -> dict[str, float]:
    surface = words(question)
    stemmed = stems(surface)
    tokens = list(dict.fromkeys(stemmed))
    return dict(zip(tokens, rarities(surface, stemmed, tokens).tolist(), strict=True))


def test_question_words_weigh_less_than_content_words_and_names_most():
    weights = _weights("Why did Russia pull out of the grain deal, says Nebenzia?")
    assert weights["whi"] < weights["russia"] < weights["grain"] < weights["nebenzia"]
    assert weights["nebenzia"] == CEILING - FLOOR  # unknown to English at large: the most


def test_a_stem_takes_its_rarest_surface_word_and_accents_fold():
    assert _weights("Erdoğan")["erdogan"] == _weights("erdogan")["erdogan"] > 0
    both = _weights("election elections")["elect"]
    assert both == max(_weights("election")["elect"], _weights("elections")["elect"])


def test_tokens_the_text_does_not_yield_count_as_unknown():
    assert rarities(["grain"], ["grain"], ["grain", "zzz"]).tolist()[1] == CEILING - FLOOR


def _forget(rarity) -> None:
    for cached in (rarity._word_hashes, rarity._large_list_zipfs, rarity._zipf,
                   rarity._cache_files):
        cached.cache_clear()


def test_words_english_uses_however_rare_and_a_fallback_when_their_list_cannot_be_cached(
        tmp_path, monkeypatch):
    from index.search import rarity

    assert rarity.is_word("defund") and rarity.is_word("hypersonic")
    assert not rarity.is_word("meetng") and not rarity.is_word("nebenzya")
    assert (rarity.word_zipf("isreal"), rarity.word_zipf("israel")) == (2.1, 4.8)
    assert rarity.word_zipf("meetng") is None
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _forget(rarity)
    try:
        assert not rarity.is_word("defund")  # only the small list's words count then
        assert rarity.word_zipf("isreal") is None  # so no rare word is read as another
        assert rarity.is_english("election")  # read from wordfreq itself
    finally:
        _forget(rarity)


def test_the_cached_lists_are_wordfreqs_own_read_without_wordfreq_and_rewritten_if_damaged(
        tmp_path, monkeypatch):
    import json
    import subprocess
    import sys

    from index.search import rarity
    from tests.support import ROOT

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    probe = ("import sys; from index.search import rarity; "
             "print(rarity.is_english('election'), rarity.is_word('defund'), "
             "rarity.word_zipf('isreal'), 'wordfreq' in sys.modules)")

    def child() -> list[str]:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True, cwd=ROOT).stdout.split()

    assert child() == ["True", "True", "2.1", "False"]  # a child of this child wrote them
    small, = tmp_path.glob("briefing/wordfreq-en-small-*.json")
    assert json.loads(small.read_text(encoding="utf-8")) == rarity.small_list_zipf()
    small.write_text("{trunc", encoding="utf-8")  # e.g. a crash mid-write
    assert child() == ["True", "True", "2.1", "True"]  # wordfreq itself, this once
    assert child() == ["True", "True", "2.1", "False"]  # written again
