"""Lexical search over one generation: BM25 in SQL from PostgreSQL's full-text data.

Lexical scores are BM25 (Lucene's form, as bm25s computes it: k1 1.2, b 0.75, no (k1+1)
factor) from PostgreSQL's own text analysis: the generated tsvectors (unaccent + Snowball
English) give each lexeme's term frequency (its position count), `ts_stat` at write time
the document frequencies (table `terms`), our token counts the lengths. So scores are on
bm25s's scale, and an article's score divided by the question's IDF sum is 0..1 as in the
default backend. (`ts_rank_cd` has no IDF and no such bound, and ranked SQuAD passages far
worse: recall@5 0.64-0.69 against BM25's 0.90; see PG_NOTES.)

A top k over all passages reads `postings`, the passages' tsvectors unnested once at write
time, so that a question reads only its own words' entries (at 22k passages on two busy
cores: 9 ms p50 against 158 ms for scoring each GIN match from its tsvector; results equal
a brute-force scoring on 400 SQuAD questions). Scores of given passages probe their
postings; scores of given articles read only those articles' tsvectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.store.lexical import K1, B
from index.store.postgres.read import Generation

OVERSCAN = 50  # extra texts scored before keeping the generation's (see `bm25`)


def tsquery_of(tokens: Sequence[str]) -> str:
    """A tsquery matching any of `tokens`, as literal lexemes (no parsing, no stemming: our
    tokens are already folded and stemmed like the stored lexemes). Quotes and backslashes
    are escaped and NULs dropped, so any string is a harmless lexeme."""
    quoted = []
    for token in dict.fromkeys(tokens):
        token = token.replace("\x00", "")
        if token:
            quoted.append("'" + token.replace("\\", "\\\\").replace("'", "''") + "'")
    return " | ".join(quoted)


def _tokens(tokens: Sequence[str]) -> list[str]:
    return [t.replace("\x00", "") for t in tokens]

_WEIGHTS = """
WITH w AS MATERIALIZED (
    SELECT q.lexeme, q.n * ln(1 + (%(docs)s - coalesce(f.df, 0) + 0.5::float8)
                                  / (coalesce(f.df, 0) + 0.5::float8)) AS idf
    FROM (SELECT t AS lexeme, count(*)::float8 AS n FROM unnest(%(tokens)s::text[]) t
          GROUP BY t) q
    LEFT JOIN {s}.terms f ON f.generation = %(g)s AND f.scope = %(scope)s
                          AND f.lexeme = q.lexeme)"""
_SCORE = "sum(w.idf * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / %(avgdl)s)))"
# Every member of the generation (the fallback of `_TOP`).
_BM25 = _WEIGHTS + f"""
SELECT m.id, {_SCORE}
FROM w JOIN {{s}}.postings p ON p.lexeme = w.lexeme
JOIN {{s}}.gen_passages m ON m.key = p.key AND m.generation = %(g)s
GROUP BY m.id"""
# Given passages only: one index probe per passage and word.
_AMONG = _WEIGHTS + f"""
SELECT m.id, {_SCORE}
FROM {{s}}.gen_passages m CROSS JOIN w
JOIN {{s}}.postings p ON p.lexeme = w.lexeme AND p.key = m.key
WHERE m.generation = %(g)s AND m.id = ANY(%(among)s)
GROUP BY m.id"""
# Given articles: from their tsvectors, only the question's lexemes (`setweight` marks them,
# `ts_filter` keeps them); as fast as postings for the few articles asked, and no postings
# for whole articles to store.
_ARTICLES = _WEIGHTS + """
SELECT m.number, sum(w.idf * u.tf / (u.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / %(avgdl)s)))
FROM {s}.gen_articles m JOIN {s}.article_texts t ON t.key = m.key
CROSS JOIN LATERAL (SELECT lexeme, array_length(positions, 1)::float8 AS tf FROM
    unnest(ts_filter(setweight(t.tsv, 'A', %(tokens)s::text[]), '{{a}}'))) u
JOIN w ON w.lexeme = u.lexeme
WHERE m.generation = %(g)s AND m.number = ANY(%(among)s)
GROUP BY m.number"""
# The best `over` stored passages first, then those of this generation: no membership probe per
# posting. Exact whenever at least k of the `over` belong to the generation (see `bm25`).
_TOP = _WEIGHTS + f""",
top AS (SELECT p.key, {_SCORE} AS score
        FROM w JOIN {{s}}.postings p ON p.lexeme = w.lexeme
        GROUP BY p.key ORDER BY score DESC LIMIT %(over)s)
SELECT m.id, top.score, (SELECT count(*) FROM top)
FROM top JOIN {{s}}.gen_passages m ON m.key = top.key AND m.generation = %(g)s
ORDER BY top.score DESC LIMIT %(k)s"""


def bm25(gen: Generation, scope: str, tokens: Sequence[str], among: Sequence[int] | None,
         k: int | None) -> list[tuple[int, float]]:
    """(member, BM25) of the passages (scope "p", member = passage id) or of the articles
    `among` (scope "a", member = article number) holding any token, the best `k` (best
    first) when given.

    For a top k over the whole generation, the best 2k + OVERSCAN stored passages are scored
    first, whatever generation holds them; the top k of the generation's members is exactly
    the top k among those unless fewer than k of them are members (passages only an older
    or a newer generation holds outrank them), and then every member is scored.
    """
    tokens = [t for t in _tokens(tokens) if t]
    if not tokens or k == 0 or (among is not None and not len(among)):
        return []
    passages = scope == "p"
    params = {"tokens": tokens, "docs": float(gen.passages if passages else gen.articles),
              "g": gen.id, "scope": scope, "k1": K1, "b": B, "k": k,
              "over": 2 * (k or 0) + OVERSCAN,
              "avgdl": gen.passage_avgdl if passages else gen.article_avgdl,
              "among": None if among is None else [int(i) for i in among]}
    if not passages:
        if among is None:
            raise ValueError("article scores are for given articles")
        text = _ARTICLES
    elif among is not None:
        text = _AMONG
    else:
        if k is not None:
            rows = gen.query(_TOP, params)
            if rows and (len(rows) >= k or rows[0][2] < params["over"]):
                return [(r[0], float(r[1])) for r in rows]
        text = _BM25
    if k is not None:
        text += " ORDER BY 2 DESC LIMIT %(k)s"
    return [(r[0], float(r[1])) for r in gen.query(text, params)]


def idf(gen: Generation, scope: str, tokens: Sequence[str]) -> np.ndarray:
    """BM25's IDF of each token over the generation's passages or articles."""
    tokens = _tokens(tokens)
    df = dict(gen.query("SELECT lexeme, df FROM {s}.terms WHERE generation = %s AND scope = %s"
                        " AND lexeme = ANY(%s)", (gen.id, scope, tokens))) if tokens else {}
    n = float(gen.passages if scope == "p" else gen.articles)
    counts = np.array([df.get(t, 0) for t in tokens], dtype=np.float64)
    return np.log1p((n - counts + 0.5) / (counts + 0.5))


class PgLexical:
    """BM25 over passages, from PostgreSQL full text (see the module docstring)."""

    def __init__(self, gen: Generation) -> None:
        self._gen = gen
        self._vocabulary: list[str] | None = None

    def top(self, tokens: Sequence[str], k: int,
            among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the `k` best passages containing any token (best first)."""
        if k <= 0 or (among is not None and not len(among)):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        found = bm25(self._gen, "p", tokens, among, k)
        return (np.array([f[0] for f in found], dtype=np.int64),
                np.array([f[1] for f in found], dtype=np.float64))

    def scores(self, tokens: Sequence[str], ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The score of each of `ids` (0 where no token occurs)."""
        ids = [int(i) for i in ids]
        found = dict(bm25(self._gen, "p", tokens, ids, None)) if ids else {}
        return np.array([found.get(i, 0.0) for i in ids], dtype=np.float64)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 IDF of each token over the passages."""
        return idf(self._gen, "p", tokens)

    def vocabulary(self) -> Sequence[str]:
        """Every lexeme of the generation's passages (read on first use, then kept)."""
        if self._vocabulary is None:
            self._vocabulary = [r[0] for r in self._gen.query(
                "SELECT lexeme FROM {s}.terms WHERE generation = %s AND scope = 'p'",
                (self._gen.id,))]
        return self._vocabulary


class PgArticles:
    """Whole-article BM25 (title + body tsvector) and the passage <-> article maps."""

    def __init__(self, gen: Generation) -> None:
        self._gen = gen

    def articles_of(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The article number of each passage id."""
        article_of = self._gen.article_of
        return np.array([article_of[int(i)] for i in ids], dtype=np.int32)

    def passages_of(self, articles: Sequence[int] | np.ndarray) -> np.ndarray:
        """The ids of every passage of the given article numbers (in row order)."""
        ids, numbers = self._gen.rows
        return ids[np.isin(numbers, np.asarray(articles, dtype=np.int32))]

    def prepare(self, tokens: Sequence[str]) -> None:
        """Nothing: articles are scored in SQL, only those asked for (scoring all of them
        took three quarters of an `ask` at 5,000 articles)."""

    def scores(self, tokens: Sequence[str], articles: np.ndarray) -> np.ndarray:
        """BM25 of each article as a share of the question's IDF sum over articles (0..1)."""
        articles = [int(a) for a in articles]
        bound = float(idf(self._gen, "a", tokens).sum())
        if not articles or bound <= 0:
            return np.zeros(len(articles))
        found = dict(bm25(self._gen, "a", tokens, articles, None))
        return np.array([found.get(a, 0.0) for a in articles]) / bound

    def coverage_mask(self, tokens: Sequence[str], article: int) -> np.ndarray:
        """Which of `tokens` occur anywhere in the article (title or body)."""
        if not tokens:
            return np.zeros(0, dtype=bool)
        rows = self._gen.query(
            "SELECT array(SELECT t.tsv @@ q::tsquery FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS x(q, i) ORDER BY i) FROM {s}.gen_articles m JOIN {s}.article_texts t"
            " ON t.key = m.key WHERE m.generation = %s AND m.number = %s",
            ([tsquery_of([t]) or "''" for t in tokens], self._gen.id, int(article)))
        if not rows:
            return np.zeros(len(tokens), dtype=bool)
        return np.array(rows[0][0], dtype=bool)
