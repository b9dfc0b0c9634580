"""Summaries, topic briefings and digests, with the real bundled model on the seed article."""

import time
import unicodedata
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from index import ArticleNotFound, BriefingError, BriefingIndex, InvalidQuestion
from index.evaluation.summaries import evaluate_summaries, read_rows, rouge, scorer
from index.ingest.splitting import sentence_spans
from index.store.metadata import ArticleRecord
from index.summarise import salience
from index.summarise.article import choose
from index.summarise.digest import indexed_since

SEED = "russia-turkiye-israel-hamas-war"


def seed_body(index: BriefingIndex) -> tuple[str, list[tuple[int, int]]]:
    return index.snapshot().metadata.article_body(SEED)


def assert_verbatim(index: BriefingIndex, sentences) -> None:
    """Each sentence is body[start:end] of its article and lies inside the paragraph it cites."""
    for s in sentences:
        body, paragraphs = index.snapshot().metadata.article_body(s.article)
        assert body[s.start:s.end] == s.text
        p_start, p_end = paragraphs[s.paragraph - 1]
        assert p_start <= s.start < s.end <= p_end


# --- article summaries ----------------------------------------------------------------------

def test_seed_summary_spans_the_article_and_reports_the_sweden_bill(seed_index):
    summary = seed_index.summarize(SEED, sentences=5)
    assert summary.answered and len(summary.sentences) == 5
    paragraphs = [s.paragraph for s in summary.sentences]
    assert len(set(paragraphs)) >= 4
    sweden = [s for s in summary.sentences if "Sweden" in s.text]
    assert [s.paragraph for s in sweden] == [15]
    assert "submitted a bill to parliament" in sweden[0].text
    assert_verbatim(seed_index, summary.sentences)


def test_summary_sentences_are_in_article_order_and_not_just_the_lead(seed_index):
    body, paragraphs = seed_body(seed_index)
    lead = [body[s:e] for s, e in sentence_spans(body, *paragraphs[0])]
    for n in (3, 5, 10):
        summary = seed_index.summarize(SEED, sentences=n)
        starts = [s.start for s in summary.sentences]
        assert len(starts) == n and starts == sorted(starts)
        assert [s.text for s in summary.sentences] != lead[:n]
        assert all(s.title == "Russia and Türkiye Align on the Israel-Hamas War"
                   for s in summary.sentences)


def test_unknown_article_is_a_briefing_error(seed_index):
    with pytest.raises(ArticleNotFound, match="no-such-article"):
        seed_index.summarize("no-such-article")
    assert issubclass(ArticleNotFound, BriefingError)


def test_choose_takes_every_sentence_of_a_short_text_in_order():
    vectors = np.eye(3)
    assert choose(["One two three four five six.", "Seven.", "Eight nine."], vectors,
                  [1, 1, 1], 5) == [0, 1, 2]


def test_choose_spreads_over_paragraphs_before_taking_a_second_from_one():
    texts = [f"Sentence number {i} talks about the harbour strike and its cost." for i in range(6)]
    vectors = np.eye(6)
    assert choose(texts, vectors, [1, 1, 1, 2, 2, 3], 3) == [0, 3, 5]
    # One paragraph: nothing to spread over, the lead wins.
    assert choose(texts, vectors, [1] * 6, 3) == [0, 1, 2]


def test_a_summary_line_does_not_open_with_a_pronoun_whose_sentence_is_left_out():
    """"He later clarified…" was quoted without the sentence that says who he is."""
    from index.summarise.article import Weights

    texts = ["# Harbour strike", "## Monday", "## Tuesday",
             "He said the dock strike would end on Friday.",
             "The minister said the dock strike would end on Friday."]
    assert choose(texts, np.eye(5), [1, 2, 3, 4, 5], 1) == [4]
    assert choose(texts, np.eye(5), [1, 2, 3, 4, 5], 1, Weights(back_reference=0)) == [3]
    # After a chosen sentence, "He" is that sentence's subject: nothing holds it back.
    told = ["# Harbour strike", "## Monday", "The minister said the dock strike would end.",
            "He said the dock strike would end on Friday.",
            "Dock workers said the dock strike would end on Friday."]
    assert choose(told, np.eye(5), [1, 2, 3, 4, 5], 2) == [2, 3]


def test_choose_says_a_repeated_sentence_once_and_fills_in_with_others():
    texts = ["Floods closed the Elbe bridges in Dresden on Monday.",
             "The ministry did not respond to a request for comment.",
             "Rail traffic to Prague was halted for two days.",
             "The ministry did not respond to a request for comment.",
             "Insurers expect claims above 400 million euros.",
             "The ministry did not respond to a request for comment."]
    boiler = np.array([0.0, 0.0, 0.0, 1.0])
    vectors = np.array([[1.0, 0, 0, 0], boiler, [0, 1.0, 0, 0], boiler, [0, 0, 1.0, 0], boiler])
    picked = choose(texts, vectors, [1, 1, 2, 2, 3, 3], 5)
    assert [texts[i] for i in picked].count(texts[1]) <= 1
    assert {0, 2, 4} <= set(picked) and len(picked) == 4  # five asked, four different


def test_choose_gives_k_sentences_when_paragraph_caps_run_out():
    texts = [f"Sentence {i} of the report on harbour strikes and costs." for i in range(11)]
    picked = choose(texts, np.eye(11), [1] + [2] * 10, 5)
    assert len(picked) == 5 and len(set(picked)) == 5


def test_salience_signals_on_small_inputs():
    np.testing.assert_allclose(salience.position_prior(3, 1.0), [1, 1 / 2, 1 / 3])
    np.testing.assert_array_equal(salience.length_penalty([3, 10, 50], 6, 40), [1, 0, 1])
    np.testing.assert_array_equal(salience.quotation(['He said “no.”', "No quote."]), [1, 0])
    tokens = [{"strike", "port"}, {"strike", "cost"}, {"weather"}]
    assert salience.concept_weights(tokens) == {"strike": 2}
    np.testing.assert_array_equal(
        salience.coverage_gain(tokens, {"strike": 2, "cost": 1}, {"cost"}), [2, 2, 0])
    central = salience.centrality(np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]))
    assert int(np.argmax(central)) == 1


# --- topic briefings ------------------------------------------------------------------------

def test_hamas_briefing_cites_russias_and_turkeys_ties_and_nothing_on_trade(seed_index):
    briefing = seed_index.summarize_topic("Hamas", sentences=5)
    assert briefing.answered and 3 <= len(briefing.sentences) <= 5
    paragraphs = {s.paragraph for s in briefing.sentences}
    assert {10, 11} <= paragraphs  # Russia's support (¶10), Erdoğan's support (¶11)
    assert not paragraphs & {4, 5, 6}  # grain deal, Sochi talks, trade
    assert all("Hamas" in s.text for s in briefing.sentences)
    assert_verbatim(seed_index, briefing.sentences)
    groups = briefing.by_article()
    assert [aid for aid, _, _ in groups] == [SEED]
    assert [s.start for s in groups[0][2]] == sorted(s.start for s in groups[0][2])


def test_a_misspelt_topic_is_briefed_on_the_word_it_was_read_as(seed_index):
    # Searched as "Hamas" but its sentences were weighed by "hamass", which no sentence holds:
    # the briefing opened with ¶8 ("An independent Palestine…") and did not name Hamas there.
    briefing = seed_index.summarize_topic("Hamass", sentences=5)
    assert briefing.answered and len(briefing.sentences) == 5
    assert all("Hamas" in s.text for s in briefing.sentences)
    # a name read for a misspelt one: its sentence is among the briefing's
    named = seed_index.summarize_topic("Nebenzya", sentences=5)
    assert any("Nebenzha" in s.text for s in named.sentences)


def test_a_misspelt_topic_typed_with_combining_accents_is_briefed_on_the_word_read(seed_index):
    # "Hämass" with its umlaut as a combining mark (as some keyboards and pastes give it) was
    # read as "Hamas", but its sentences were weighed by "Ha" and "mass": the briefing opened
    # with a sentence not naming Hamas, as a misspelt topic's did before it was read.
    briefing = seed_index.summarize_topic(unicodedata.normalize("NFD", "Hämass"), sentences=5)
    assert briefing.answered and len(briefing.sentences) == 5
    assert all("Hamas" in s.text for s in briefing.sentences)


def test_sentences_are_distinct(seed_index):
    briefing = seed_index.summarize_topic("Sweden NATO membership", sentences=5)
    assert briefing.answered
    assert len({s.start for s in briefing.sentences}) == len(briefing.sentences)
    assert any("Sweden" in s.text for s in briefing.sentences)


@pytest.mark.parametrize("topic", ["Sweden", "trade"])
def test_one_word_topic_the_article_covers_is_briefed(seed_index, topic):
    briefing = seed_index.summarize_topic(topic, sentences=3)
    assert briefing.answered
    assert any(topic.lower() in s.text.lower() for s in briefing.sentences)


def test_a_briefing_states_a_fact_two_reports_share_once(tmp_path, embedder):
    """Two outlets' words for one fact (cosine 0.89) were both quoted: the briefing's repeat
    limit was the one for copies in the same words (0.95), not the digest's for one fact."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gazette.md").write_text(
        "---\ntitle: Springfield mayor to quit\n---\n\n"
        "Springfield's mayor has announced that she is resigning in June.\n\n"
        "She has led the city council for eleven years and oversaw the rebuilding of its "
        "harbour.\n", encoding="utf-8")
    (corpus / "herald.md").write_text(
        "---\ntitle: Springfield looks for a new mayor\n---\n\n"
        "In June the mayor of Springfield will resign.\n\n"
        "Two council members have said they will stand in the election to replace her.\n",
        encoding="utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    briefing = index.summarize_topic("Springfield mayor resigning", sentences=4)
    said = [s.text for s in briefing.sentences]
    assert briefing.answered
    assert sum(t in ("Springfield's mayor has announced that she is resigning in June.",
                     "In June the mayor of Springfield will resign.") for t in said) == 1


@pytest.mark.parametrize("topic", ["sourdough bread", "Who won the 2018 World Cup?"])
def test_off_topic_briefing_is_refused(seed_index, topic):
    briefing = seed_index.summarize_topic(topic)
    assert not briefing.answered and briefing.sentences == ()


def test_empty_topic_is_an_invalid_question(seed_index):
    with pytest.raises(InvalidQuestion):
        seed_index.summarize_topic("   ")


# --- digests --------------------------------------------------------------------------------

NEW_ARTICLE = """---
title: Port Strike Ends After Nine Days
published: 2026-11-20
---

Dock workers in Rotterdam returned to work on Monday after a nine-day strike over pay.

The union accepted a raise of six percent over two years. Shipping lines said the backlog of
containers would take a month to clear.

Retailers had warned of empty shelves before the holidays if the strike went on.
"""


def test_digest_lists_the_articles_indexed_since_a_time(tmp_path, corpus_copy, embedder):
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus_copy)
    [first] = index.sources()
    time.sleep(1.1)  # indexed_at has a resolution of one second
    (corpus_copy / "port-strike.md").write_text(NEW_ARTICLE, encoding="utf-8")
    index.reindex(corpus_copy)
    first_indexed = datetime.fromisoformat(first.indexed_at)

    both = index.digest(first_indexed - timedelta(minutes=1))
    assert [e.article for e in both.entries] == ["port-strike", SEED]  # newest first
    assert both.total == 2
    new_only = index.digest(first_indexed + timedelta(seconds=1))
    [entry] = new_only.entries
    assert (entry.title, entry.date, entry.published) == (
        "Port Strike Ends After Nine Days", "2026-11-20", "2026-11-20")
    assert 2 <= len(entry.sentences) <= 3
    assert_verbatim(index, entry.sentences)
    assert not index.digest(datetime.now(UTC) + timedelta(hours=1)).entries
    limited = index.digest(first_indexed - timedelta(minutes=1), limit=1)
    assert [e.article for e in limited.entries] == ["port-strike"] and limited.total == 2


def test_indexed_since_compares_aware_times_and_skips_unreadable_ones():
    def record(aid: str, indexed_at: str) -> ArticleRecord:
        return ArticleRecord(aid, aid, aid, "", "", "", indexed_at, 1)

    records = [record("a", "2026-11-20T10:00:00+00:00"), record("b", "2026-11-22T10:00:00+00:00"),
               record("c", "2026-11-21T12:00:00+02:00"), record("d", "garbage")]
    since = datetime(2026, 11, 21, 9, 0)  # naive: UTC
    assert [r.id for r in indexed_since(records, since)] == ["b", "c"]
    assert [r.id for r in indexed_since(records, since.replace(tzinfo=UTC) + timedelta(hours=2))
            ] == ["b"]


def test_an_undated_article_is_listed_by_the_day_it_shows():
    """Shown with the day it was indexed, an undated article was sorted as the oldest of its
    reindex, below a report published two years earlier."""
    indexed = "2026-12-03T08:00:00+00:00"
    records = [ArticleRecord("old", "old", "Old", "", "2024-03-01", "", indexed, 1),
               ArticleRecord("seed", "seed", "Seed", "", "", "", indexed, 1)]
    assert [r.id for r in indexed_since(records, datetime(2026, 12, 1))] == ["seed", "old"]


# --- ROUGE evaluation -----------------------------------------------------------------------

def test_rouge_of_the_reference_itself_is_perfect():
    reference = "The strike ended on Monday .\nWorkers won a raise ."
    scores = rouge(scorer(), reference, ["The strike ended on Monday.", "Workers won a raise."])
    assert scores == pytest.approx({"rouge1": 100.0, "rouge2": 100.0, "rougeLsum": 100.0})


def test_cnn_rows_are_scored_against_lead3_in_the_same_run(shared_eval, embedder):
    result = evaluate_summaries(shared_eval / "cnn-1000" / "test.jsonl", embedder, 1, 4)
    assert (result["rows"], result["first_row"], result["last_row"]) == (4, 1, 4)
    for key in ("rouge1", "rouge2", "rougeLsum", "lead3_rouge1", "lead3_rouge2",
                "lead3_rougeLsum"):
        assert 0 < result[key] < 100
    assert 0 <= result["same_as_lead3"] <= 1


def test_rows_outside_the_file_are_an_error(shared_eval):
    with pytest.raises(BriefingError, match="has 1000 rows"):
        read_rows(shared_eval / "cnn-1000" / "test.jsonl", 999, 1001)


@pytest.mark.parametrize("row", ['{"article": "", "highlights": "Ships left."}',
                                 '{"article": "Ships left Odesa.", "highlights": 5}', "[1]"])
def test_a_summary_row_without_article_and_highlight_texts_is_named(tmp_path, row):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"article": "Ships left Odesa.", "highlights": "Ships left."}\n' + row + "\n",
                    "utf-8")
    with pytest.raises(BriefingError, match=r"rows.jsonl, line 2: not a JSON object with the"):
        read_rows(rows)


def test_a_summary_leaves_out_headings_bylines_and_datelines_and_says_nothing_twice(embedder):
    """The position prior put "## Storm Maysak" and "Updated 10:42 AM ET…" before the lede;
    an article with no more sentences than asked was returned whole, repeats included."""
    from index.ingest.articles import paragraph_spans
    from index.summarise.article import summarize_body

    body = ("## Storm Maysak\n\nBy Jane Doe, Associated Press\n\n"
            "Updated 10:42 AM ET, Fri April 3, 2015\n\n"
            "Tropical Storm Maysak weakened as it approached the Philippines on Friday.\n\n"
            "More than 3,000 homes lost power on the island of Yap.\n\n"
            "More than 3,000 homes lost power on the island of Yap.\n\n"
            "Officials urged residents of the coast to move inland before Sunday.")
    picked = [s.text for s in summarize_body(body, paragraph_spans(body), embedder, 8)]
    assert picked == ["Tropical Storm Maysak weakened as it approached the Philippines on Friday.",
                      "More than 3,000 homes lost power on the island of Yap.",
                      "Officials urged residents of the coast to move inland before Sunday."]
    headings = "# Storm Maysak\n\n## Yap loses power"
    assert [s.text for s in summarize_body(headings, paragraph_spans(headings), embedder, 3)] \
        == ["# Storm Maysak", "## Yap loses power"]  # nothing else to give: still a summary


def test_a_summary_does_not_quote_the_middle_of_a_quotation_as_fact(embedder):
    """A quotation running over several sentences has marks only around the whole (and, going
    on into the next paragraph, no closing mark in the first): its middle sentence ("The
    hospital will open on time…") was summarised as if the outlet said it."""
    from index.ingest.articles import paragraph_spans
    from index.summarise.article import summarize_body

    body = ("The health minister promised on Monday that a new hospital would open in the north "
            "of the region by 2027.\n\n"
            "“We have found the money. The hospital will open on time and on budget. I give you "
            "my word on that.\n\n"
            "“Nobody will have to travel more than an hour for emergency care,” she told a "
            "conference of nurses.\n\n"
            "Unions said they doubted the timetable, and asked to see the contracts.\n\n"
            "The last hospital promised in the region took nine years to build.")
    picked = [s.text for s in summarize_body(body, paragraph_spans(body), embedder, 6)]
    assert "The hospital will open on time and on budget." not in picked
    assert "“We have found the money." in picked  # marked as someone's words, so it may stay
    assert not [t for t in picked if t.startswith("I give you")]


def test_inside_quotation_follows_the_marks_within_each_paragraph():
    texts = ["“We have the money.", "It will open.", "Unions doubt it.”", "Fine.",
             '"Yes.', "No.", "Then.", "Next paragraph."]
    groups = [1, 1, 1, 1, 2, 2, 2, 3]
    assert salience.inside_quotation(texts, groups).tolist() == [
        False, True, True, False, False, True, True, False]
    # A closing mark closes even when an earlier stray one upset the count, and a sentence
    # with an opening mark of its own starts a quotation rather than going on with one.
    texts = ['He said: "We came.', 'We saw."', 'The mayor agreed.', '"Fine," she said.',
             'Then she left.', 'A stray " mark.', 'He is home."', 'Nothing else.']
    assert salience.inside_quotation(texts, [1] * 8).tolist() == [
        False, True, False, False, False, False, False, False]


def test_a_briefing_reads_quotations_in_article_order_whatever_the_ranking():
    """Topic candidates come best passage first: a quotation's state was carried from a later
    passage of the paragraph into an earlier one."""
    from index.spans import SummarySentence
    from index.summarise.topic import quoted_on

    def sentence(start: int, text: str) -> SummarySentence:
        return SummarySentence(article="a", title="T", paragraphs=(1,), start=start,
                               end=start + len(text), text=text)

    in_order = [sentence(0, "Ships left."), sentence(20, "“We have the money."),
                sentence(40, "It will open."), sentence(60, "Unions doubt it.”")]
    expected = quoted_on(in_order).tolist()
    assert expected == [False, False, True, True]
    assert quoted_on(in_order[::-1]).tolist() == expected[::-1]


def test_a_summary_leaves_out_credit_lines_and_starts_after_a_dateline(embedder):
    """One sentence a paragraph made the credit line of a five-paragraph article a summary
    line; "(CNN)" or "ROTTERDAM (Reuters) —" opened every summary's first line."""
    from index.ingest.articles import paragraph_spans
    from index.summarise.article import summarize_body

    body = ("ROTTERDAM, Netherlands (Reuters) — Dock workers walked out on Monday over a new "
            "shift system.\n\n"
            "The port handles more containers than any other in Europe.\n\n"
            "Ships were already queueing off the coast by the evening, the port authority said."
            "\n\nThe union said the strike would last until Thursday.\n\n"
            "Reporting by Jane Smith and Tom Brown; editing by Sam Lee.")
    picked = summarize_body(body, paragraph_spans(body), embedder, 5)
    assert picked[0].text == "Dock workers walked out on Monday over a new shift system."
    assert all(body[s.start:s.end] == s.text for s in picked)  # still verbatim, still cited
    assert not [s for s in picked if "Reporting by" in s.text]
    cnn = "(CNN)The Palestinian Authority became a member of the court on Wednesday."
    assert summarize_body(cnn, paragraph_spans(cnn), embedder, 1)[0].text.startswith("The ")
    # A news agency's dateline however it is spaced, placed or followed (21 of the 1,000 CNN
    # rows: "New Delhi  (CNN)An …" opened a digest line).
    for dateline in ("New Delhi  (CNN)", "(CNN) ", "West of Baghdad (CNN)"):
        opened = f"{dateline}An Indian software pioneer said on Monday he would retire."
        first = summarize_body(opened, paragraph_spans(opened), embedder, 1)[0].text
        assert first == "An Indian software pioneer said on Monday he would retire."
    counted = "(CNN)38 people died in the floods on Monday, officials said."
    assert summarize_body(counted, paragraph_spans(counted), embedder, 1)[0].text.startswith(
        "38 people")
    company = "Apple (AAPL) shares fell on Tuesday after the launch was delayed."
    assert summarize_body(company, paragraph_spans(company), embedder, 1)[0].text == company
    # A bracketed abbreviation in a subject is not a dateline, first sentence or not.
    for subject in ("The European Union (EU)-funded bridge opened to traffic on Monday.",
                    "The International Monetary Fund (IMF) — long a critic — said it agreed."):
        assert summarize_body(subject, paragraph_spans(subject), embedder, 1)[0].text == subject
    later = "Ships queued off the coast.\n\nLONDON (Reuters) — The port reopened on Monday."
    assert "LONDON (Reuters) — The port reopened on Monday." in [
        s.text for s in summarize_body(later, paragraph_spans(later), embedder, 2)]
    assert salience.sentences_proper([
        "Reporting by The Washington Post revealed that the agency ignored warnings.",
        "Editing by committee is slow, she said.",
        "Additional reporting by Ann Lee in Paris."]).tolist() == [True, True, False]
    # A lead-in whose list was a set of links ("Here's how it's unfolding: ." in CNN copy).
    assert salience.sentences_proper([
        "Here's how it's unfolding: .", "An assistant coach read a quote from Hill: .",
        "The ratio was 3:1."]).tolist() == [False, False, True]


def test_a_line_holding_every_topic_word_does_not_push_out_the_sentences_about_it():
    """A teaser ("What was the mental state of the Germanwings co-pilot?") scored +0.8 for
    holding the topic's words and every other sentence fell more than 0.25 below it: the
    briefing asked for 8 sentences gave that one line."""
    from index.summarise.topic import briefing_pool

    relevance = np.array([1.60, 1.20, 1.10, 0.30])  # the teaser; two that say it; off topic
    similarity = np.array([0.80, 0.70, 0.62, 0.30])
    proper = np.array([True, True, True, True])
    assert briefing_pool(relevance, similarity, proper).tolist() == [True, True, True, False]
    assert briefing_pool(relevance, similarity, np.array([True, False, True, True])).tolist() \
        == [True, False, True, False]  # "Read more: …" lines are not sentences
