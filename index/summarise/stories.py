"""Stories: articles that report the same event, across outlets and days.

An article is represented by the normalised mean of its passage embeddings. Articles are
taken in date order and each joins the story whose members it resembles most on average
(cosine similarity, average link) among the stories active within `window_days` of it, if that
average reaches `threshold`; otherwise it starts a story. Taking articles as they arrive makes
the grouping incremental: a new article never regroups older ones. `single_link` is the
baseline the README compares with: any one pair above its threshold joins two stories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from index.ingest.dates import article_date, credible_published
from index.search.scope import outlet_or_name
from index.store.snapshot import Snapshot

THRESHOLD = 0.64  # average cosine to a story's articles; fitted by index/evaluation/stories.py
WINDOW_DAYS = 3.0  # a story stays open this long after its latest article


@dataclass(frozen=True)
class StoryArticle:
    """One report of a story; `outlet` is its source URL's host, or the source as named
    when that is a name rather than a link ("Reuters")."""

    article: str
    title: str
    source: str
    outlet: str
    date: str


@dataclass(frozen=True)
class Story:
    """Articles reporting one event, oldest first; the title is the first report's."""

    id: int
    title: str
    articles: tuple[StoryArticle, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """The distinct outlets that reported it; an article without a source names none."""
        return tuple(dict.fromkeys(a.outlet for a in self.articles if a.outlet))

    @property
    def unsourced(self) -> int:
        """How many of its articles have no source (neither a URL nor a name)."""
        return sum(1 for a in self.articles if not a.outlet)


def cluster(vectors: np.ndarray, days: Sequence[float], threshold: float = THRESHOLD,
            window_days: float = WINDOW_DAYS, undated: Sequence[bool] = ()) -> list[int]:
    """A story label per article (rows of unit `vectors`, `days` as day numbers). An article
    marked `undated` (its day is only when it was indexed) may join a story of any day: a
    copy of an old report indexed today still belongs to that report's story."""
    order = sorted(range(len(days)), key=lambda i: (days[i], i))
    labels = [-1] * len(days)
    # Each story's sum of member vectors and size: the mean of the cosines to its members is
    # the sum's cosine over the size, one matrix product for every open story at once.
    sums = np.zeros((len(days), vectors.shape[1]))
    sizes = np.zeros(len(days))
    latest = np.zeros(len(days))
    stories = 0
    for i in order:
        dated = not (i < len(undated) and undated[i])
        open_ = (np.flatnonzero(days[i] - latest[:stories] <= window_days) if dated
                 else np.arange(stories))
        best = -1
        if open_.size:
            scores = sums[open_] @ vectors[i] / sizes[open_]
            top = len(scores) - 1 - int(np.argmax(scores[::-1]))  # ties: the newest story
            if scores[top] >= threshold:
                best = int(open_[top])
        if best < 0:
            best, stories = stories, stories + 1
            latest[best] = days[i]
        sums[best] += vectors[i]
        sizes[best] += 1
        if dated:  # an undated copy does not keep an old story open
            latest[best] = max(latest[best], days[i])
        labels[i] = best
    return labels


def single_link(vectors: np.ndarray, days: Sequence[float], threshold: float,
                window_days: float = WINDOW_DAYS) -> list[int]:
    """Baseline: connected components of pairs at or above `threshold` within the window."""
    parent = list(range(len(days)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    similar = vectors @ vectors.T
    for i in range(len(days)):
        for j in range(i + 1, len(days)):
            if similar[i, j] >= threshold and abs(days[i] - days[j]) <= window_days:
                parent[root(i)] = root(j)
    roots: dict[int, int] = {}
    return [roots.setdefault(root(i), len(roots)) for i in range(len(days))]


def article_vectors(snapshot: Snapshot, article_ids: Sequence[str]) -> np.ndarray:
    """The normalised mean passage vector of each article."""
    owned = snapshot.metadata.article_passages()
    out = np.zeros((len(article_ids), snapshot.dense.dimension), dtype=np.float32)
    owners = [(n, passage) for n, article in enumerate(article_ids)
              for passage in owned.get(article, ("", []))[1]]
    if owners:
        which, passages = (np.array(column) for column in zip(*owners, strict=True))
        np.add.at(out, which, snapshot.dense.vectors(passages))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
    return out


def build_stories(snapshot: Snapshot, since: date | None = None,
                  threshold: float = THRESHOLD, window_days: float = WINDOW_DAYS
                  ) -> list[Story]:
    """The stories with articles dated `since` or later (only those articles listed; the
    title stays the story's first report), newest story first.

    The grouping is of every indexed article, so a story that began before `since` is the
    same story after it; with the default parameters it is computed once per generation.
    """
    stories = all_stories(snapshot, threshold, window_days)
    if since is None:
        return stories
    kept = []
    for story in stories:
        articles = tuple(a for a in story.articles if date.fromisoformat(a.date) >= since)
        if articles:
            kept.append(replace(story, articles=articles))
    kept.sort(key=lambda s: (s.articles[-1].date, len(s.articles)), reverse=True)
    return kept


def all_stories(snapshot: Snapshot, threshold: float = THRESHOLD,
                window_days: float = WINDOW_DAYS) -> list[Story]:
    """Every indexed article grouped into stories, newest story first (cached per generation
    for the default parameters: a generation never changes once written)."""
    if (threshold, window_days) != (THRESHOLD, WINDOW_DAYS):
        return _group(snapshot, threshold, window_days)
    return list(snapshot.memo("stories", lambda: _group(snapshot, threshold, window_days)))


def _group(snapshot: Snapshot, threshold: float, window_days: float) -> tuple[Story, ...]:
    records = snapshot.metadata.articles()
    if not records:
        return ()
    dates = [article_date(r.published, r.indexed_at) or date.today() for r in records]
    labels = cluster(article_vectors(snapshot, [r.id for r in records]),
                     [d.toordinal() for d in dates], threshold, window_days,
                     [credible_published(r.published, r.indexed_at) is None for r in records])
    groups: dict[int, list[int]] = {}
    for n in sorted(range(len(records)), key=lambda n: (dates[n], records[n].id)):
        groups.setdefault(labels[n], []).append(n)
    stories = []
    for label, members in groups.items():
        articles = tuple(StoryArticle(records[n].id, records[n].title, records[n].source,
                                      outlet_or_name(records[n].source),
                                      dates[n].isoformat())
                         for n in members)
        stories.append(Story(label, articles[0].title, articles))
    stories.sort(key=lambda s: (s.articles[-1].date, len(s.articles)), reverse=True)
    return tuple(stories)


def pairwise(labels: Sequence[int], truth: Sequence[int],
             ignore: set[tuple[int, int]] = frozenset()) -> dict[str, float]:
    """Pairwise precision, recall and F1 of "same story" against the true labels."""
    tp = fp = fn = 0
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            if (i, j) in ignore:
                continue
            same, real = labels[i] == labels[j], truth[i] == truth[j]
            tp += same and real
            fp += same and not real
            fn += real and not same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
