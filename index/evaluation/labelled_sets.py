"""Labelled question sets nobody hand-wrote, built from public data, for fitting and testing.

An *in/out* set indexes some articles of a data set and asks questions about all of them:
questions about an indexed article are *covered*, the others are *not covered*. Each set is cut
into a *fit* half and a *test* half with no article in both, so that weights and thresholds are
chosen on one half and reported on the other.

Two reports of one story are never split between the indexed and the left-out side (nor between
the halves): the facts of a left-out report would be in the index, and its questions would be
"not covered" only by label. Articles are grouped into stories when the TF-IDF cosine of their
texts, or of their reference summaries where there are some, reaches SAME_STORY (single
linkage). In CNN-1000 the pairs at 0.30-0.35 are reports of one event, such as two stories on
the Garissa college attack; summaries catch a comment piece on a news story, and two weather
reports with the same highlights. The grouping uses no part of the retrieval engine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import BriefingError
from index.ingest.articles import Article, article_from_text

SAME_STORY = 0.3


@dataclass(frozen=True)
class LabelledQuestion:
    """A question, whether the index covers it, its half, and what answers it."""

    text: str
    covered: bool
    half: str                                 # "fit" or "test"
    article: str                              # id of the article it was written from
    answers: tuple[str, ...] = ()             # SQuAD: spans a right passage contains
    paragraphs: tuple[int, ...] = ()          # seed questions: the paragraphs that answer it


@dataclass
class LabelledSet:
    """Articles to index and questions to ask of them."""

    name: str
    articles: list[Article]
    questions: list[LabelledQuestion] = field(default_factory=list)

    def half(self, name: str) -> list[LabelledQuestion]:
        """The questions of one half ("fit" or "test")."""
        return [q for q in self.questions if q.half == name]


def story_groups(texts: Sequence[str], summaries: Sequence[str] = (),
                 same_story: float = SAME_STORY) -> np.ndarray:
    """A group number per text; texts whose TF-IDF cosine (or their summaries') reaches
    `same_story` share one."""
    from scipy.sparse.csgraph import connected_components

    linked = _similar(texts, same_story)
    if summaries:
        linked = linked + _similar(summaries, same_story)
    return connected_components(linked, directed=False)[1]


def _similar(texts: Sequence[str], threshold: float):
    from scipy.sparse import identity
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True,
                                 min_df=2).fit_transform(texts)
    except ValueError:  # no word occurs in two texts: nothing is linked
        return identity(len(texts), dtype=bool, format="csr")
    return (matrix @ matrix.T) >= threshold


def assign_cells(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each item, whether it is in the fit half and whether it is indexed.

    Whole groups (stories) are dealt, in the order of their first item, to the four cells
    (fit or test × indexed or left out), each to the cell with the fewest items so far, so no
    story is split and the cells stay balanced.
    """
    cells = [(True, True), (True, False), (False, True), (False, False)]
    counts = [0, 0, 0, 0]
    fit = np.zeros(len(groups), dtype=bool)
    indexed = np.zeros(len(groups), dtype=bool)
    order = sorted(set(groups.tolist()), key=lambda g: int(np.flatnonzero(groups == g)[0]))
    for group in order:
        members = np.flatnonzero(groups == group)
        cell = counts.index(min(counts))
        fit[members], indexed[members] = cells[cell]
        counts[cell] += len(members)
    return fit, indexed


def squad_by_article(squad_file: Path) -> tuple[list[Article],
                                                list[list[tuple[str, tuple[str, ...]]]]]:
    """The articles of a SQuAD v1.1 file and, for each, its (question, answers); raises
    BriefingError naming the file when it is not one."""
    from index.evaluation.retrieval import squad_articles

    try:
        with open(squad_file, encoding="utf-8-sig") as handle:
            data = json.load(handle)
        articles, _ = squad_articles(data)
        questions = [[(qa["question"], tuple(a["text"] for a in qa["answers"]))
                      for paragraph in entry["paragraphs"] for qa in paragraph["qas"]]
                     for entry in data["data"]]
    except (ValueError, KeyError, TypeError, AttributeError) as err:  # json's are ValueErrors
        reason = " ".join(str(err).split())[:200]  # a repr would quote the whole file
        raise BriefingError(f"{squad_file}: not SQuAD v1.1 JSON ({type(err).__name__}: "
                            f"{reason})") from None
    if not articles:
        raise BriefingError(f"{squad_file}: no SQuAD articles in it")
    return articles, questions


def squad_in_out(squad_file: Path) -> LabelledSet:
    """SQuAD v1.1 dev: half the Wikipedia articles indexed (see `assign_cells`)."""
    articles, questions = squad_by_article(squad_file)
    fit, indexed = assign_cells(story_groups([a.body for a in articles]))
    labelled = LabelledSet("squad", [a for a, keep in zip(articles, indexed, strict=True)
                                     if keep])
    for number, asked in enumerate(questions):
        for question, answers in asked:
            labelled.questions.append(LabelledQuestion(
                question, bool(indexed[number]), "fit" if fit[number] else "test",
                articles[number].id, answers))
    return labelled


CNN_KEYS = ("id", "article", "highlights")


def read_cnn(cnn_file: Path) -> list[dict]:
    """Rows of the CNN/DailyMail file: id, article, highlights (one sentence a line); raises
    BriefingError naming the file and line of the first row that is not one."""
    from index.evaluation.retrieval import read_json_lines

    def problem(row: object) -> str | None:
        if isinstance(row, dict) and all(isinstance(row.get(key), str) and row[key].strip()
                                         for key in CNN_KEYS):
            return None
        return 'not a CNN row (a JSON object with the texts "id", "article" and "highlights")'

    return read_json_lines(cnn_file, problem, "no CNN rows in it")


def cnn_article(row: dict) -> Article:
    """A CNN row as a corpus article: no title (as a file saved without front matter)."""
    return article_from_text(row["id"], "", row["article"])


def highlights_question(row: dict) -> str:
    """A row's reference highlights as one query: the story in a few sentences."""
    return " ".join(line.strip() for line in row["highlights"].splitlines() if line.strip())


def cnn_in_out(cnn_file: Path) -> LabelledSet:
    """CNN-1000: half the stories indexed (see `assign_cells`); each row's highlights are
    one question."""
    rows = read_cnn(cnn_file)
    fit, indexed = assign_cells(
        story_groups([r["article"] for r in rows], [r["highlights"] for r in rows]))
    labelled = LabelledSet("cnn", [cnn_article(r) for r, keep in zip(rows, indexed, strict=True)
                                   if keep])
    for number, row in enumerate(rows):
        labelled.questions.append(LabelledQuestion(
            highlights_question(row), bool(indexed[number]), "fit" if fit[number] else "test",
            row["id"]))
    return labelled


def archive_set(cnn_file: Path, corpus: list[Article], seed_questions: Sequence[dict],
                per_line: bool = False) -> LabelledSet:
    """The corpus articles plus every CNN row as one archive. Questions: the seed questions
    (rows `{"q", "paras", "article"?}`, about the first corpus article unless they name one;
    all in the test half) and each CNN
    row's highlights, joined (or one question a line with `per_line`), in the halves of
    `cnn_in_out`."""
    rows = read_cnn(cnn_file)
    labelled = LabelledSet("archive", [*corpus, *(cnn_article(r) for r in rows)])
    for row in seed_questions:
        labelled.questions.append(LabelledQuestion(
            row["q"], bool(row.get("paras")), "test", row.get("article", corpus[0].id),
            paragraphs=tuple(row.get("paras") or ())))
    fit, _ = assign_cells(
        story_groups([r["article"] for r in rows], [r["highlights"] for r in rows]))
    for number, row in enumerate(rows):
        half = "fit" if fit[number] else "test"
        texts = ([line.strip() for line in row["highlights"].splitlines() if line.strip()]
                 if per_line else [highlights_question(row)])
        for text in texts:
            labelled.questions.append(LabelledQuestion(text, True, half, row["id"]))
    return labelled


def squad_single(squad_file: Path) -> list[LabelledSet]:
    """A server with one article: each SQuAD article indexed alone, its questions covered and
    as many questions about the other articles of its half not covered (every n-th, so the
    choice is fixed; none from an article of the same story). The halves are those of
    `assign_cells`."""
    articles, questions = squad_by_article(squad_file)
    asked = [[question for question, _ in per_article] for per_article in questions]
    answers = [[answer for _, answer in per_article] for per_article in questions]
    groups = story_groups([a.body for a in articles])
    fit, _ = assign_cells(groups)
    result = []
    for number, article in enumerate(articles):
        half = "fit" if fit[number] else "test"
        same_half = [other for other in range(len(articles)) if fit[other] == fit[number]]
        labelled = LabelledSet(f"squad-single-{number:03d}", [article])
        labelled.questions = [LabelledQuestion(q, True, half, article.id, a)
                              for q, a in zip(asked[number], answers[number], strict=True)]
        others = [(q, other) for other in same_half if groups[other] != groups[number]
                  for q in asked[other]]
        step = max(1, len(others) // max(1, len(labelled.questions)))
        labelled.questions += [LabelledQuestion(q, False, half, articles[other].id)
                               for q, other in others[::step][:len(labelled.questions)]]
        result.append(labelled)
    return result


# --- conversations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ConversationPair:
    """A first question and a follow-up, with what answers each (spans or paragraphs).

    `kind`: "dependent" (the follow-up names its subject only through the first question),
    "standalone" (a full question about the same article) or "new_subject" (a full question
    about another article).
    """

    first: str
    followup: str
    kind: str
    half: str
    article: str                                   # the follow-up's article
    first_answers: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    first_paragraphs: tuple[int, ...] = ()
    paragraphs: tuple[int, ...] = ()


_PER_ARTICLE = {"dependent": 6, "standalone": 2, "new_subject": 2}


def squad_conversations(squad_file: Path) -> tuple[LabelledSet, list[ConversationPair]]:
    """Conversation pairs from SQuAD v1.1 dev over the indexed articles of `squad_in_out`.

    A *dependent* follow-up is a question about the article whose mention of the article's
    subject (its title, or the title's last word) is replaced by a pronoun: "What year did
    Tesla die?" becomes "What year did it die?". Its first question is another question of the
    same article that names the subject: as conversations go, about the same paragraph for
    half the pairs, the next or previous one for a quarter, any other for the rest.
    Standalone and new-subject follow-ups are unmodified questions. At most a few pairs per
    article, chosen in file order.
    """
    import re

    labelled = squad_in_out(squad_file)
    indexed = {a.id for a in labelled.articles}
    with open(squad_file, encoding="utf-8-sig") as handle:  # read as squad_in_out read it
        data = json.load(handle)
    halves = {q.article: q.half for q in labelled.questions}
    named: dict[str, list[tuple[str, tuple[str, ...], int, str]]] = {}
    for number, entry in enumerate(data["data"]):
        article = f"squad-{number:03d}"
        if article not in indexed:
            continue
        subject = _subject_pattern(entry["title"])
        for paragraph, block in enumerate(entry["paragraphs"]):
            for qa in block["qas"]:
                question = qa["question"].strip()
                if subject.search(question):
                    pronoun = re.sub(r"\s+", " ", subject.sub(_pronoun, question, count=1))
                    named.setdefault(article, []).append(
                        (question, tuple(a["text"] for a in qa["answers"]), paragraph, pronoun))
    pairs: list[ConversationPair] = []
    articles = sorted(named)
    for position, article in enumerate(articles):
        questions = named[article]
        made = {"dependent": 0, "standalone": 0, "new_subject": 0}
        for i, (question, answers, paragraph, pronoun) in enumerate(questions):
            first = _first_question(questions, i, paragraph, distance=(0, 0, 1, None)[i % 4])
            if first is None:
                continue
            kind = ("dependent" if made["dependent"] < _PER_ARTICLE["dependent"]
                    else "standalone" if made["standalone"] < _PER_ARTICLE["standalone"]
                    else "new_subject" if made["new_subject"] < _PER_ARTICLE["new_subject"]
                    else None)
            if kind is None:
                break
            if kind == "dependent" and pronoun == question:
                continue
            if kind == "new_subject":  # the first question comes from another article
                other = named[articles[(position + 1) % len(articles)]]
                first = other[i % len(other)]
            made[kind] += 1
            pairs.append(ConversationPair(
                first[0], pronoun if kind == "dependent" else question, kind, halves[article],
                article, first_answers=first[1], answers=answers))
    return labelled, pairs


def _first_question(questions: list, i: int, paragraph: int, distance: int | None):
    """Another question than the i-th, `distance` paragraphs away from `paragraph` (any other
    paragraph when None); None when there is none."""
    others = questions[i + 1:] + questions[:i]
    if distance is None:
        return next((q for q in others if q[2] != paragraph), None)
    return next((q for q in others if abs(q[2] - paragraph) == distance), None)


def _subject_pattern(title: str):
    """The article's subject as a question names it: its title, or the title's last word
    ("Tesla" for Nikola Tesla) when that is a name of five letters or more."""
    import re

    title = re.sub(r"\s*\(.*?\)", "", title.replace("_", " ")).split(",")[0].strip()
    last = title.split()[-1]
    names = [re.escape(title)] + ([re.escape(last)] if len(last) >= 5 and " " in title else [])
    return re.compile(r"\b(?:the\s+)?(?:" + "|".join(names) + r")(?:'s|')?(?!\w)",
                      re.IGNORECASE)


def _pronoun(match) -> str:
    """A pronoun for the subject: "they" for a plural such as "the Normans", else "it"; the
    possessive for a possessive mention."""
    text = match.group(0)
    possessive = text.endswith(("'s", "'"))
    plural = text.rstrip("'s").endswith("s") and not possessive or text.endswith("s'")
    if plural:
        return "their" if possessive else "they"
    return "its" if possessive else "it"


# --- recency ---------------------------------------------------------------------------------

RECENCY_STORY_SIZES = (2, 5)   # stories with this many reports (bigger groups are loose chains)
RECENCY_SPACING_DAYS = 3


def recency_set(cnn_file: Path) -> LabelledSet:
    """Stories CNN-1000 reports more than once, each report given a date, oldest first in
    file order, RECENCY_SPACING_DAYS apart; each story starts on its own day.

    Questions (in halves by story): "What's the latest on <the oldest report's first
    highlight>?", whose answer is the newest report (`article`); and each report's own joined
    highlights, which do not ask for the latest and must keep finding their own report.
    """
    from datetime import date, timedelta

    rows = read_cnn(cnn_file)
    groups = story_groups([r["article"] for r in rows], [r["highlights"] for r in rows])
    members: dict[int, list[int]] = {}
    for number, group in enumerate(groups.tolist()):
        members.setdefault(group, []).append(number)
    low, high = RECENCY_STORY_SIZES
    stories = [m for m in members.values() if low <= len(m) <= high]
    labelled = LabelledSet("recency", [])
    start = date(2024, 1, 1)
    for position, story in enumerate(stories):
        half = "fit" if position % 2 == 0 else "test"
        for order, number in enumerate(story):
            day = start + timedelta(days=position + order * RECENCY_SPACING_DAYS)
            row = rows[number]
            labelled.articles.append(article_from_text(row["id"], "", row["article"],
                                                       published=day.isoformat()))
            labelled.questions.append(LabelledQuestion(highlights_question(row), True, half,
                                                       row["id"]))
        oldest, newest = rows[story[0]], rows[story[-1]]
        topic = next(line.strip() for line in oldest["highlights"].splitlines() if line.strip())
        labelled.questions.append(LabelledQuestion(
            f"What's the latest on this: {topic.rstrip('.')}?", True, half, newest["id"]))
    return labelled
