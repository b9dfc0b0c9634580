"""Splitting article bodies into passages (by paragraph) and sentences, keeping offsets."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from index.ingest.articles import Article
from index.spans import Passage

MAX_PASSAGE_WORDS = 150
MIN_PASSAGE_WORDS = 12
_WORD = re.compile(r"\w+")
_LEADING_CLOSER = re.compile(r"([”’»\"]+)\s+")
QUOTE_MARKS = "\"“”„«»"  # what opens or closes a quotation (salience follows them too)
_QUOTE_MARK = re.compile(f"[{QUOTE_MARKS}]")
_TRAILING_OPENER = re.compile(r"\s+([\"“])\Z")
_LIST_NUMBER = re.compile(r"\(?\d{1,3}[.)]")  # a numbered item's number, cut off by the segmenter
RUN_ON_WORDS = 40  # longer "sentences" holding quote marks are cut again (see _unpaired)


def split_article(article: Article, max_words: int = MAX_PASSAGE_WORDS,
                  min_words: int = MIN_PASSAGE_WORDS) -> list[Passage]:
    """Passages of an article, in order, with `article.body[start:end] == text`."""
    body = article.body
    sentences = paragraph_sentences(body, article.paragraphs)
    units: list[tuple[tuple[int, ...], int, int]] = []
    for number, (start, end) in enumerate(article.paragraphs, start=1):
        for chunk_start, chunk_end in _chunks(body, start, end, max_words, sentences):
            units.append(((number,), chunk_start, chunk_end))
    units = _merge_short(body, units, min_words, max_words)
    return [Passage(article=article.id, paragraphs=paras, start=s, end=e, text=body[s:e],
                    sentences=_within(sentences, s, e))
            for paras, s, e in units]


def paragraph_sentences(body: str, paragraphs: Sequence[tuple[int, int]]
                        ) -> list[tuple[int, int]]:
    """Sentence spans of a whole body, none crossing a paragraph boundary.

    The segmenter runs once over the body (half the cost of once per paragraph); a sentence
    it runs across two paragraphs (a heading without a full stop) is cut at the boundary.
    """
    spans: list[tuple[int, int]] = []
    if not paragraphs:
        return spans
    found = sentence_spans(body, paragraphs[0][0], paragraphs[-1][1])
    at = 0
    for p_start, p_end in paragraphs:
        while at < len(found) and found[at][1] <= p_start:
            at += 1
        i = at
        while i < len(found) and found[i][0] < p_end:
            start, end = max(found[i][0], p_start), min(found[i][1], p_end)
            piece = body[start:end]
            stripped = piece.strip()
            if stripped:
                start += len(piece) - len(piece.lstrip())
                spans.append((start, start + len(stripped)))
            i += 1
    return spans


def _within(spans: Sequence[tuple[int, int]], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The spans (clipped) inside body[start:end], relative to `start`.

    `spans` are sorted and disjoint, so a binary search finds the first one: splitting stays
    linear in the number of sentences however many passages an article has.
    """
    inside = []
    for i in range(_first_ending_after(spans, start), len(spans)):
        s, e = spans[i]
        if s >= end:
            break
        inside.append((max(s, start) - start, min(e, end) - start))
    return tuple(inside)


def _first_ending_after(spans: Sequence[tuple[int, int]], offset: int) -> int:
    """Index of the first of the sorted, disjoint `spans` that ends after `offset`."""
    return bisect.bisect_right(spans, offset, key=lambda span: span[1])


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets in `text` of each sentence of text[start:end].

    Sentences without a word character (a stray closing quote) are folded into the one before;
    a run kept whole around wrongly paired quote marks is cut again (`_unpaired`), and each
    quote mark goes with the sentence it opens or closes.
    """
    end = len(text) if end is None else end
    spans = _reattach_closing_quotes(text, _segmented(text, text, start, end))
    return _pass_opening_quotes(text, [piece for span in spans for piece in _unpaired(text, span)])


def _segmented(text: str, seen: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end] as the segmenter reads `seen` (the same text, or the
    same length with some characters hidden), joined where it cut at an abbreviation."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for sentence in _segment(seen[start:end]):
        piece = sentence.strip()
        if not piece:
            continue
        found = seen.find(piece, cursor, end)
        if found < 0:  # the segmenter altered the text: keep the rest as one sentence
            break
        span = (found, found + len(piece))
        cursor = span[1]
        if spans and (not _WORD.search(text, *spans[-1]) or _LIST_NUMBER.fullmatch(text, *spans[-1])
                      or _continues(text, spans[-1], span)):
            spans[-1] = (spans[-1][0], span[1])  # an image's "!", a list's "1." join what follows
        else:
            spans.append(span)
    if cursor < end and seen[cursor:end].strip():
        rest = text[cursor:end]
        rest_start = cursor + (len(rest) - len(rest.lstrip()))
        spans.append((rest_start, cursor + len(rest.rstrip())))
    return spans


def _unpaired(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The sentences of a "sentence" of more than RUN_ON_WORDS words that holds quote marks.

    The segmenter never cuts between paired quote marks, so one unclosed quote in the source
    ("…eight volcanoes. "The rain…", common in wire copy) pairs the marks that follow wrongly
    and leaves up to 20 sentences as one (9 of the 1,000 CNN articles have a "sentence" of more
    than 120 words). Such a run is cut again with its quote marks hidden, each mark then going
    with the sentence it touches.
    """
    start, end = span
    run = text[start:end]
    if not _QUOTE_MARK.search(run) or word_count(run) <= RUN_ON_WORDS:
        return [span]
    pieces = _segmented(run, _QUOTE_MARK.sub(" ", run), 0, len(run))  # offsets within the run
    widened: list[tuple[int, int]] = []
    for s, e in pieces:
        while e < len(run) and run[e] in QUOTE_MARKS:  # a closing mark right after the sentence
            e += 1
        floor = widened[-1][1] if widened else 0
        gap = run[floor:s]
        if gap.strip():  # marks between the sentences: the first opens this one
            s = floor + len(gap) - len(gap.lstrip())
        widened.append((s, e))
    if widened and not run[widened[-1][1]:].strip(QUOTE_MARKS + " \t\n"):
        widened[-1] = (widened[-1][0], len(run))  # the run's last mark, after a space
    return [(start + s, start + e) for s, e in widened]


def _pass_opening_quotes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A sentence that ends in an opening quote mark after a space ('volcanoes. "') gives it
    to the sentence that follows, whose words it opens."""
    fixed = list(spans)
    for i in range(len(fixed) - 1):
        start, end = fixed[i]
        match = _TRAILING_OPENER.search(text, start, end)
        gap = text[end:fixed[i + 1][0]]
        if match and match.start() > start and not gap.strip() and "\n" not in gap:
            fixed[i] = (start, match.start())
            fixed[i + 1] = (match.start(1), fixed[i + 1][1])
    return fixed


def _continues(text: str, before: tuple[int, int], piece: tuple[int, int]) -> bool:
    """Whether the segmenter cut a sentence at an abbreviation: `piece` has no words of its
    own (a stray closing quote), or opens with a lower-case word ("5 per cent. higher"), or follows
    "approx." or a time's "a.m."/"p.m." that its time zone or day goes on ("10 a.m. ET")."""
    if not _WORD.search(text, *piece):
        return True
    # Not "mRNA" or "p53", which start one, nor a name's particle ("de Blasio said").
    if _LOWER_WORD.match(text, piece[0], piece[1]):
        return True
    ending = text[max(before[0], before[1] - 12):before[1]]
    if _NEVER_LAST.search(ending):
        return True
    return bool(_CLOCK_END.search(ending) and _CLOCK_GOES_ON.match(text, piece[0], piece[1]))


_LOWER_WORD = re.compile(r"(?!(?:de|van|von|al|el|bin|da|del|della|di|du|la|le|ter)\b)[a-z]+\b")
_NEVER_LAST = re.compile(r"\b(?:approx|appr|vs|cf|incl|esp)\.\Z|\bca\.\Z")  # "CA." is a state
_CLOCK_END = re.compile(r"\b[ap]\.m\.\Z", re.IGNORECASE)
_CLOCK_GOES_ON = re.compile(
    r"(?:[ECMP][SD]?T|GMT|UTC|BST|CES?T|EES?T|MSK|local time|"
    r"(?:Pacific|Eastern|Central|Mountain|Atlantic|Greenwich)(?: (?:Standard|Daylight))? [Tt]ime"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|(?:to|yester)day|tonight|tomorrow)\b")


def _reattach_closing_quotes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A sentence that opens with a closing quote ("” Then ...") gives it back to the one before."""
    fixed = list(spans)
    for i in range(1, len(fixed)):
        start, end = fixed[i]
        match = _LEADING_CLOSER.match(text, start, end)
        if match and match.end() < end:
            fixed[i - 1] = (fixed[i - 1][0], start + len(match.group(1)))
            fixed[i] = (match.end(), end)
    return fixed


def word_count(text: str) -> int:
    """Number of words, as the passage-size limits count them."""
    return len(_WORD.findall(text))


def _segment(text: str) -> list[str]:
    """Sentences of `text` by sentencex (Wikimedia's rule-based segmenter, compiled: ~300x
    faster than pysbd on our corpora, and it keeps "Oct. 24" and "p.m." inside a sentence)."""
    import sentencex  # lazy: `briefing --help` needs no segmenter

    return sentencex.segment("en", text)


def _chunks(body: str, start: int, end: int, max_words: int,
            sentences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut body[start:end] into spans of at most `max_words` words at sentence boundaries."""
    if word_count(body[start:end]) <= max_words:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for i in range(_first_ending_after(sentences, start), len(sentences)):
        s, e = sentences[i]
        if e > end:
            break
        if s >= start:
            pieces.extend(_word_windows(body, s, e, max_words))
    chunks: list[tuple[int, int]] = []
    words = 0
    for s, e in pieces:
        n = word_count(body[s:e])
        if chunks and words + n <= max_words:
            chunks[-1] = (chunks[-1][0], e)
            words += n
        else:
            chunks.append((s, e))
            words = n
    return chunks


def _word_windows(body: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """A sentence longer than `max_words` (no punctuation at all) is cut between words."""
    words = list(re.finditer(r"\S+", body[start:end]))
    if len(words) <= max_words:
        return [(start, end)]
    windows = []
    for i in range(0, len(words), max_words):
        group = words[i:i + max_words]
        windows.append((start + group[0].start(), start + group[-1].end()))
    return windows


def _merge_short(body: str, units: Sequence[tuple[tuple[int, ...], int, int]],
                 min_words: int, max_words: int) -> list[tuple[tuple[int, ...], int, int]]:
    """Join a very short paragraph (a subheading, a one-line caption) to the one after it."""
    merged: list[tuple[tuple[int, ...], int, int]] = []
    pending: tuple[tuple[int, ...], int, int] | None = None
    for unit in units:
        if pending is not None:
            paras = tuple(sorted(set(pending[0]) | set(unit[0])))
            candidate = (paras, pending[1], unit[2])
            if word_count(body[candidate[1]:candidate[2]]) <= max_words:
                unit = candidate
            else:
                merged.append(pending)
            pending = None
        if word_count(body[unit[1]:unit[2]]) < min_words:
            pending = unit
        else:
            merged.append(unit)
    if pending is not None:
        if merged and word_count(body[merged[-1][1]:pending[2]]) <= max_words:
            last = merged.pop()
            pending = (tuple(sorted(set(last[0]) | set(pending[0]))), last[1], pending[2])
        merged.append(pending)
    return merged


def after_dateline(text: str) -> int:
    """Where an article's first sentence begins its news: after a dateline such as "(CNN)",
    "Marseille, France (CNN)" or "WASHINGTON (AP) —", which every report of an outlet opens
    with; 0 when there is none. Only for an article's first sentence: elsewhere "The
    International Monetary Fund (IMF) — …" is a subject, not a dateline."""
    match = _DATELINE.match(text)
    return match.end() if match and match.end() < len(text) else 0


# A news agency, whose dateline is known whatever follows it.
_AGENCY = r"(?:CNN|CNNMoney|AP|Reuters|AFP|UPI|Bloomberg|dpa|Xinhua)"
# Either an optional place of up to six capitalised words, any outlet in brackets, then the
# news opening with a capital: at once ("(CNN)The …") or after a dash between spaces
# ("(Reuters) — The …"), not "(EU)-funded" nor "(D-W.Va.) — a key vote"; or up to 60
# characters of place ("West of Baghdad"), a news agency, and anything but a space after a
# space or a dash, or at once ("(CNN) An …", "(CNN)#UporDown?", "(CNN)38 …").
_DATELINE = re.compile(
    r"(?:[A-Z][\w.'’-]*(?:,? [A-Z][\w.'’-]*){0,5} +)?\([A-Z][\w .&'’-]{0,40}\)"
    r"(?: +(?:[—–]|--?) +)?(?=[A-Z\"“‘])"
    rf"|[^()\n]{{0,60}}?\({_AGENCY}\)(?: *(?:[—–]|--?))? *(?=\S)")
