"""Follow-ups read in the context of the conversation; scoping by article, outlet and date;
recent articles first when a question asks for the latest. The real bundled model throughout."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index import ArticleNotFound, BriefingIndex, Scope, Turn
from index.search.followup import changes_subject, needs_context, without_opener
from index.search.hybrid import DEFAULT_WEIGHTS, search
from tests.support import ROOT

SEED = "russia-turkiye-israel-hamas-war"
SWEDEN = "Why did Erdoğan approve Sweden's NATO bid?"
GRAIN = ("---\ntitle: Grain corridor closes\nsource: https://www.example-wire.com/grain\n"
         "published: 2023-07-20\n---\n\nRussia withdrew from the Black Sea grain agreement in "
         "July, ending a year of Ukrainian wheat shipments through Odesa.\n\nTurkish officials "
         "tried to negotiate an extension of the deal with Moscow, but the talks in Sochi failed "
         "to revive it.\n")


def harbour(day: int, ships: int) -> str:
    return (f"---\ntitle: Harbour update\nsource: https://harbour-news.org/{day}\n"
            f"published: 2023-11-{day:02d}\n---\n\nThe storm-damaged harbour of Port Anselm "
            f"reported {ships} cargo ships waiting to unload grain as repairs went on.\n")


def turn(index: BriefingIndex, question: str) -> Turn:
    """A first question as the bot stores it after answering."""
    return Turn.of(index.ask(question), True)


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder) -> BriefingIndex:
    """The seed article, a grain story from an outlet, and three dated harbour updates."""
    base = tmp_path_factory.mktemp("followup")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / f"{SEED}.md").write_text((ROOT / "corpus" / f"{SEED}.md").read_text("utf-8"))
    (corpus / "grain.md").write_text(GRAIN, "utf-8")
    for day, ships in ((3, 40), (17, 25), (28, 12)):
        (corpus / f"harbour-{day}.md").write_text(harbour(day, ships), "utf-8")
    index = BriefingIndex(base / "index", embedder=embedder)
    index.reindex(corpus)
    return index


def test_a_pronoun_follow_up_is_answered_from_the_conversation(seed_index):
    follow_up = "when did he send it to parliament?"
    alone = seed_index.ask(follow_up)
    answer, standalone = seed_index.ask_followup(follow_up, [turn(seed_index, SWEDEN)])
    assert not alone.answered  # "he" and "it" mean nothing without the first question
    assert answer.answered and answer.hits[0].paragraphs == (15,) and not standalone
    assert answer.question == follow_up


def test_a_follow_up_says_only_how_its_own_misspelt_words_were_read(seed_index):
    earlier = turn(seed_index, "what came out of the sochi meetng?")
    plain, _ = seed_index.ask_followup("and did it revive the grain deal?", [earlier])
    assert plain.read_as == {}
    misspelt, _ = seed_index.ask_followup("what did nebenzya say about it?", [earlier])
    assert misspelt.read_as == {"nebenzya": "Nebenzha"}  # as the article writes the name
    typed, _ = seed_index.ask_followup("What did Nebenzya say about it?", [earlier])
    assert typed.read_as == {"Nebenzya": "Nebenzha"}  # as the message typed it


def test_a_full_question_as_follow_up_gets_exactly_its_own_answer(seed_index):
    question = "How much did trade between Russia and Turkey grow in 2022?"
    alone = seed_index.ask(question)
    answer, standalone = seed_index.ask_followup(question, [turn(seed_index, SWEDEN)])
    assert standalone and answer == alone and alone.hits[0].paragraphs == (6,)


def test_context_keeps_an_ambiguous_follow_up_in_the_article_being_discussed(archive):
    follow_up = "why did the talks fail to revive it?"
    first = turn(archive, "When did Russia leave the Black Sea grain deal?")
    assert first.cited[0][0] == "grain"
    answer, _ = archive.ask_followup(follow_up, [first])
    assert answer.answered and answer.hits[0].article == "grain"


def test_a_change_of_subject_is_not_dragged_back(archive):
    first = turn(archive, "When did Russia leave the Black Sea grain deal?")
    answer, standalone = archive.ask_followup(
        "btw, different topic: why did Erdoğan approve Sweden's NATO bid?", [first])
    assert standalone and answer.hits[0].article == SEED
    assert answer.hits[0].paragraphs == (15,)


def test_a_short_question_another_article_answers_is_the_new_subject(archive):
    """"where is the harbour?" has one content word, so it was read in the context of the
    grain question and never became the conversation's subject: the next follow-up was
    searched with the grain question."""
    first = turn(archive, "When did Russia leave the Black Sea grain deal?")
    short = "where is the harbour?"
    answer, standalone = archive.ask_followup(short, [first])
    assert standalone and answer == archive.ask(short)
    assert answer.hits[0].article.startswith("harbour-")
    follow_up, _ = archive.ask_followup("and why were they waiting?",
                                        [first, Turn.of(answer, standalone)])
    assert follow_up.hits[0].article.startswith("harbour-")
    sweden = turn(archive, SWEDEN)  # a bare keyword is elliptical: it stays in the conversation
    keyword, standalone = archive.ask_followup("grain?", [sweden])
    assert not standalone and keyword.hits[0].article == SEED


def test_an_opener_starts_a_new_subject_even_when_the_rest_points_back(seed_index):
    sweden = turn(seed_index, SWEDEN)
    answer, standalone = seed_index.ask_followup("nvm that, but what about the wagner revolt?",
                                                 [sweden])
    assert standalone and answer == seed_index.ask("what about the wagner revolt?")
    hyphen, _ = seed_index.ask_followup("btw is the pro-Kremlin party still winning?",
                                        [sweden])
    assert hyphen.question == "is the pro-Kremlin party still winning?"


def test_needs_context_and_subject_change_cues():
    assert needs_context("and Turkey?") and needs_context("why not?")
    assert needs_context("how come?") and needs_context("Why did she resign from her post?")
    assert needs_context("when did he send it to parliament?")
    assert not needs_context("Why is Russia backing Hamas when it used to court Israel so "
                             "openly?")  # a pronoun in a question that stands on its own
    assert not needs_context("How much trade is there between Russia and Turkey?")
    assert changes_subject("ok diff topic, does turkey host hamas leaders?")
    assert without_opener("ok diff topic, does turkey host hamas leaders?") == (
        "does turkey host hamas leaders?")
    assert without_opener("nvm that, but what about the wagner revolt?") == (
        "what about the wagner revolt?")


def test_source_scope_answers_only_from_that_article_or_outlet(archive):
    question = "What happened to the grain shipments?"
    assert {h.article for h in archive.ask(question, 5).hits} != {"grain"}
    by_outlet = archive.ask(question, 5, Scope(source="example-wire.com"))
    assert {h.article for h in by_outlet.hits} == {"grain"}
    assert archive.ask(question, 5, Scope(source="www.example-wire.com")).hits == by_outlet.hits
    by_id = archive.ask("Why did Erdoğan approve Sweden?", 5, Scope(source="harbour-17"))
    assert {h.article for h in by_id.hits} == {"harbour-17"}
    assert "example-wire.com" in archive.outlets()


NAMED = ("---\ntitle: Grain talks stall in Sochi\nsource: Reuters\npublished: 2023-09-05\n---\n\n"
         "Talks in Sochi between the Turkish and Russian presidents ended without a return to "
         "the Black Sea grain deal, leaving Ukrainian wheat exports through Odesa halted.\n")


def test_a_source_given_by_name_is_an_outlet_to_scope_to_in_any_case(tmp_path, embedder):
    """An article whose source is a name ("source: Reuters"), not a link, could not be
    scoped to: outlets were the hosts of source URLs only."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "grain.md").write_text(GRAIN, "utf-8")
    (corpus / "sochi.md").write_text(NAMED, "utf-8")
    (corpus / "harbour-3.md").write_text(harbour(3, 40), "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    question = "What happened to the grain deal?"
    assert {h.article for h in index.ask(question, 5).hits} != {"sochi"}
    by_name = index.ask(question, 5, Scope(source="reuters"))
    assert {h.article for h in by_name.hits} == {"sochi"}
    assert index.ask(question, 5, Scope(source=" REUTERS ")).hits == by_name.hits
    assert index.source_named("reuters") == "Reuters"  # as --source and /ask source: read it
    assert set(index.outlets()) == {"Reuters", "example-wire.com", "harbour-news.org"}
    by_host = index.ask(question, 5, Scope(source="Example-Wire.com"))
    assert {h.article for h in by_host.hits} == {"grain"}
    with pytest.raises(ArticleNotFound, match="no indexed article or outlet is 'Reuter'"):
        index.ask(question, 5, Scope(source="Reuter"))


def test_since_scope_drops_older_articles(archive):
    """Dated articles count from their published date; undated ones (the seed article) from
    the day they were indexed, today."""
    answer = archive.ask("How many cargo ships are waiting in Port Anselm?", 5,
                         Scope(since=datetime(2023, 11, 15, tzinfo=UTC)))
    found = {h.article for h in answer.hits}
    assert "harbour-17" in found and not found & {"harbour-3", "grain"}


@pytest.mark.parametrize("scope", [Scope(source="nowhere.example"),
                                   Scope(since=datetime(2031, 1, 1))])
def test_a_scope_matching_nothing_is_one_clear_error(archive, scope):
    with pytest.raises(ArticleNotFound, match="no indexed article"):
        archive.ask("grain", 3, scope)


def test_a_blank_source_is_refused_not_read_as_the_articles_without_a_source(archive):
    with pytest.raises(ArticleNotFound, match="the source is blank"):
        archive.ask("grain", 3, Scope(source="  "))


def test_asking_for_the_latest_puts_the_newest_report_first(archive):
    latest = archive.ask("What's the latest on the Port Anselm harbour?")
    assert latest.hits[0].article == "harbour-28"
    question = "How many cargo ships waited in Port Anselm?"
    without_recency = search(archive.snapshot(), archive.embedder, question, 3,
                             weights=replace(DEFAULT_WEIGHTS, recency=0.0))
    assert archive.ask(question).hits == without_recency.hits  # not asked for: no effect


def test_follow_up_and_scope_together(archive):
    first = turn(archive, "How many cargo ships are waiting in Port Anselm?")
    answer, _ = archive.ask_followup("and now?", [first],
                                     scope=Scope(since=datetime(2023, 11, 20, tzinfo=UTC)))
    assert answer.hits[0].article == "harbour-28"


def test_squad_conversations_gain_from_context_on_the_test_half(shared_eval: Path, tmp_path,
                                                                embedder):
    """The acceptance measure on data nobody tuned on: dependent follow-ups of the SQuAD test
    half are found first and answered far more often with context than alone (0.75 against
    0.52 when measured; alone was 0.42 before the ranking weighed each passage's best
    sentence)."""
    from index.evaluation.conversations import run_pairs, summarize
    from index.evaluation.labelled import prepare
    from index.evaluation.labelled_sets import squad_conversations

    labelled, pairs = squad_conversations(shared_eval / "squad-v1.1-dev" / "dev-v1.1.json")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    prepare(index, labelled)
    test = summarize(run_pairs(index, [p for p in pairs if p.half == "test"]))
    dependent = test["dependent"]
    assert dependent["followup@1 in context"] >= dependent["followup@1 alone"] + 0.2
    assert dependent["followup@1 in context"] >= 0.72
    assert test["standalone"]["followup@1 in context"] >= test["standalone"][
        "followup@1 alone"]


def test_a_follow_ups_highlight_is_chosen_by_its_own_words(tmp_path, embedder):
    """"What did he say about the gun?" after a question naming Hinton bolded the lede again
    (the earlier question's rare names weighed in), not the sentence about the gun."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hinton.md").write_text(
        "---\ntitle: Freed after 30 years\n---\n\nAnthony Ray Hinton is thankful to be free "
        "after nearly 30 years on Alabama's death row for murders he says he didn't commit. "
        "Hinton, 58, looked up at the sky and thanked God as he walked out of jail. All they "
        "had to do was to test the gun, but they didn't want to, he said of the prosecutors."
        "\n", "utf-8")
    (corpus / "prison.md").write_text(
        "---\ntitle: A new prison\n---\n\nOfficials say the new state prison will open next "
        "year, and guards say they need more staff.\n", "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    first = turn(index, "How long was Anthony Ray Hinton on death row?")
    answer, standalone = index.ask_followup("what did he say about the gun?", [first])
    assert not standalone and answer.answered
    assert answer.hits[0].highlight.startswith("All they had to do was to test the gun")
