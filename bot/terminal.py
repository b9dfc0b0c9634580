"""Plain-text and JSON output of the `briefing` command (no Discord, no heavy imports)."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence

from bot.citation import paragraphs_label, web_url
from bot.wording import (
    CONTEXT_GONE,
    NOT_COVERED,
    SEEMS_NOT_COVERED,
    counted,
    read_as_note,
    reported_by,
)
from index import (
    NOTHING_INDEXED,
    Answer,
    ArticleRecord,
    Digest,
    ReindexReport,
    Summary,
    SummarySentence,
)

# Quotation marks within a quoted sentence, as quotes nest: double ones become single.
_NESTED_QUOTES = str.maketrans({"“": "‘", "”": "’", '"': "'"})
# Bidirectional overrides and isolates: they reorder what a terminal shows ("RLO" attacks).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Untrusted text (titles, passages, file names) made safe for one terminal line: control
    characters (escape sequences, newlines that could forge a line) and bidirectional
    overrides are removed; whitespace controls become spaces."""
    text = _BIDI.sub("", text)
    return "".join(" " if c in "\t\n\r\v\f" else c for c in text
                   if c in "\t\n\r\v\f" or unicodedata.category(c) != "Cc")


def echoed(line: str) -> str:
    """An input line that could not be asked, as an error object gives it back: on one line,
    cut to 200 characters, and valid Unicode (undecodable input bytes become "?")."""
    line = line.encode("utf-8", errors="replace").decode("utf-8")
    return " ".join(line.split())[:200]


def format_sources(records: Sequence[ArticleRecord]) -> str:
    """One line per indexed article: id, title, published date (as read, unless after the
    day indexed), passages, when indexed."""
    if not records:
        return NOTHING_INDEXED
    lines = []
    for r in records:
        date = f" ({r.published_day.isoformat()})" if r.published_day else ""
        lines.append(f"{shown(r.id)}: {shown(r.title)}{date} · {counted(r.passages, 'passage')} · "
                     f"indexed {shown(r.indexed_at)}")
    return "\n".join(lines)


def skipped_lines(report: ReindexReport) -> list[str]:
    """One line for each file a reindex skipped, its name and reason made safe to print."""
    return [f"skipped {shown(s.path)}: {shown(s.reason)}" for s in report.skipped]


def describe_report(report: ReindexReport) -> list[str]:
    """Human lines summarising a reindex."""
    lines = skipped_lines(report)
    if report.rebuilt_from_scratch:
        lines.append(f"rebuilt from scratch: {report.rebuilt_from_scratch}")
    if report.changes:
        lines.append(f"{len(report.added)} added, {len(report.changed)} changed, "
                     f"{len(report.removed)} removed, {report.unchanged} unchanged; "
                     f"embedded {counted(report.embedded, 'passage')}; "
                     f"{counted(report.passages, 'passage')} indexed.")
    else:
        lines.append(f"Nothing changed ({counted(report.unchanged, 'article')}, "
                     f"{counted(report.passages, 'passage')}); "
                     f"embedded {counted(report.embedded, 'passage')}.")
    return lines


def answer_json(answer: Answer) -> dict:
    """The documented `ask --json` shape; `read_as` only when misspelt words were read,
    `context_gone` only when a follow-up's earlier article is no longer indexed."""
    read_as = {"read_as": dict(answer.read_as)} if answer.read_as else {}
    gone = {"context_gone": True} if answer.context_gone else {}
    return {
        "question": answer.question,
        "answered": answer.answered,
        **read_as,
        **gone,
        "hits": [{"rank": h.rank, "score": h.score, "article": h.article, "title": h.title,
                  "paragraphs": list(h.paragraphs), "start": h.start, "end": h.end,
                  "text": h.text, "highlight": h.highlight} for h in answer.hits],
    }


def format_answer(answer: Answer, width: int = 100) -> str:
    """Numbered cited passages with the highlight in **bold**, or the not-covered line; first,
    how misspelt words were read, if any were."""
    note = read_as_note(answer.read_as)
    text = _format_refusal(answer, width) if not answer.answered else _format_hits(answer, width)
    return f"{shown(note)}\n{text}" if note else text


def _format_hits(answer: Answer, width: int) -> str:
    blocks = []
    for hit in answer.hits:
        text = hit.text.replace(hit.highlight, f"**{hit.highlight}**", 1)
        body = textwrap.fill(" ".join(shown(text).split()), width=width, initial_indent="   ",
                             subsequent_indent="   ")
        blocks.append(f"{hit.rank}. {citation(hit.title, hit.paragraphs, hit.source)}\n{body}")
    return "\n".join(blocks)


def _format_refusal(answer: Answer, width: int) -> str:
    """The not-covered line, then the closest passage's best sentence quoted and cited, if any;
    first, when a follow-up's subject is no longer indexed, that it is gone."""
    gone = f"{CONTEXT_GONE}\n" if answer.context_gone else ""
    if not answer.hits:
        return gone + NOT_COVERED
    top = answer.hits[0]
    # A sentence closing a quotation ended in two closing marks ("state system.””").
    sentence = " ".join(shown(top.highlight or top.text).split()).translate(_NESTED_QUOTES)
    quote = textwrap.fill(f"“{sentence}”", width=width, initial_indent="   ",
                          subsequent_indent="   ")
    return (f"{gone}{SEEMS_NOT_COVERED}\n{quote}\n"
            f"   — {citation(top.title, top.paragraphs, top.source)}")


def citation(title: str, paragraphs: Sequence[int], source: str) -> str:
    """"Title · ¶15", then " · URL" when the article's source is a web address, as the bot
    links its citations."""
    url = web_url(source)
    return f"{shown(title)} · {paragraphs_label(paragraphs)}" + (f" · {url}" if url else "")


def summary_json(summary: Summary) -> dict:
    """The documented `summary --json` shape; a topic with misspelt words adds "read_as", and
    a refused one the search's "hits" (the first is the closest passage), as `ask --json`
    gives them."""
    read_as = {"read_as": dict(summary.read_as)} if summary.read_as else {}
    hits = ({"hits": answer_json(summary.refusal)["hits"]} if summary.refusal is not None
            else {})
    return {"answered": summary.answered, "sentences": _sentences_json(summary.sentences),
            **read_as, **hits}


def _sentences_json(sentences: Iterable[SummarySentence]) -> list[dict]:
    return [{"text": s.text, "article": s.article, "title": s.title, "paragraph": s.paragraph,
             "start": s.start, "end": s.end} for s in sentences]


def format_summary(summary: Summary, width: int = 100) -> str:
    """Each article's title, then its sentences, each cited with its paragraph, or the
    not-covered line; first, as `ask` shows it, how a topic's misspelt words were read, if
    any were."""
    if summary.refusal is not None:
        return format_answer(summary.refusal, width)
    blocks = []
    for _, title, sentences in summary.by_article():
        blocks.append("\n".join([shown(title), *(_cited(s.text, s.paragraph, width)
                                                   for s in sentences)]))
    note = read_as_note(summary.read_as)
    text = "\n\n".join(blocks) if summary.answered else NOT_COVERED
    return f"{shown(note)}\n{text}" if note else text


def _cited(text: str, paragraph: int, width: int, opening: str = " (") -> str:
    """` - text (¶3)`, or with `opening` ", " after a text that opened the parenthesis."""
    return textwrap.fill(f"{' '.join(shown(text).split())}{opening}¶{paragraph})", width=width,
                         initial_indent=" - ", subsequent_indent="   ")


def digest_json(digest: Digest) -> dict:
    """The `digest --json` shape: one object per story (under "articles", as when the digest
    listed articles), the most widely reported first; "total" counts the articles indexed
    since, "stories" the stories."""
    since = digest.since.isoformat(timespec="seconds")
    return {"since": since, "total": digest.total, "stories": digest.stories,
            "articles": [{"article": e.article, "title": e.title, "published": e.published,
                          "indexed_at": e.indexed_at, "sentences": _sentences_json(e.sentences),
                          "story": e.story, "outlets": list(e.outlets),
                          "reports": list(e.reports), "earlier": list(e.earlier),
                          "new_since": since if e.earlier else None}
                         for e in digest.entries]}


def format_digest(digest: Digest, width: int = 100) -> str:
    """A heading, then each story's title, outlets and date with its key sentences, each
    citing its article and ¶; a story seen before shows only what is new since."""
    since = f"{digest.since:%Y-%m-%d %H:%M} UTC"
    if not digest.entries:
        return f"No articles indexed since {since}."
    stories = digest.stories or len(digest.entries)
    count = (f"{stories} stor{'ies' if stories != 1 else 'y'} from {digest.total} "
             f"article{'s' if digest.total != 1 else ''}")
    blocks = [f"{count} indexed since {since}:"]
    for entry in digest.entries:
        reported = reported_by([shown(o) for o in entry.outlets], entry.unsourced,
                               naming=True)
        heading = f"{shown(entry.title)} · {reported} · {shown(entry.date)}"
        if entry.earlier:
            heading += f" · new since {since}"
        lines = [_cited(f"{s.text} ({shown(s.title)}", s.paragraph, width, ", ")
                 for s in entry.sentences]
        if entry.earlier and not lines:
            lines = ["   nothing new"]
        blocks.append("\n".join([heading, *lines]))
    if stories > len(digest.entries):
        blocks.append(f"and {stories - len(digest.entries)} more stories")
    return "\n\n".join(blocks)
