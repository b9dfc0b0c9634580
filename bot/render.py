"""Turning answers, sources and reindex reports into Discord messages, within Discord's limits.

Pure functions: no client, no network. Every text that reaches Discord passes through here, so
this is where markdown is escaped and lengths are enforced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import discord

from bot.citation import paragraphs_label, web_url
from bot.wording import (
    CONTEXT_GONE,
    NOT_COVERED,
    NOTHING_DATED_SINCE,
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
    Hit,
    ReindexReport,
    Story,
    Summary,
    SummarySentence,
)

CONTENT_LIMIT = 2000
FOOTER_ROOM = 110  # an embed's footer note ("and 23 more; see /stories · 11 key sentences…")
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
READ_AS_LIMIT = 400  # the note on misspelt words, above an answer (content: 2,000)
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
FIELDS_LIMIT = 25
MIN_QUOTE = 200  # a field's quote keeps this much (at most half the field) before its link
ELLIPSIS = "…"
COLOUR = discord.Colour.blurple()

LOW_CONFIDENCE_COLOUR = discord.Colour.light_grey()


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else _keep_start(text, limit)


def escape(text: str) -> str:
    """Plain text made safe for Discord markdown, bare URLs left clickable: it cannot format,
    form a masked link ("[figures](https://elsewhere)", shown as the article's words), a <…>
    mention, channel, command or timestamp (shown as a real member's name or a local time),
    nor open a numbered list. Mentions could not ping anyway (allowed_mentions)."""
    plain = discord.utils.escape_markdown(" ".join(text.split()), as_needed=False)
    # escape_markdown escapes the first "[" of a text only, and never "<"; URLs stay as sent.
    plain = _OPENERS.sub(lambda m: m.group() if m.group("url") else m.group("run")
                         + "\\" * (len(m.group("run")) % 2 == 0) + m.group("bracket"), plain)
    return _LIST_START.sub(r"\1\\. ", plain)


# A bare URL (left alone), or a bracket with the backslashes before it.
_OPENERS = re.compile(r"(?P<url>https?://[^\s<]+)|(?P<run>\\*)(?P<bracket>[\[\]<])")
_LIST_START = re.compile(r"^(\d+)\. ")
_BLOCK_START = re.compile(r"^[#+-]")  # a heading, "-#" subtext or a bulleted list


_MARKUP = re.compile(r"[\\*_~|`\[\]()<>]|:(?=/)")  # formatting, links, <…> tags, bare URLs


def inert(text: str) -> str:
    """Untrusted text that Discord shows literally, within a line: it cannot format, close or
    open a link, form a bare URL (`https\\://`) or a <…> tag. Stricter than `escape`, which
    leaves URLs clickable. Where it starts a line it cannot open a heading, "-#" subtext or
    a list either."""
    plain = _MARKUP.sub(lambda m: "\\" + m.group(), " ".join(text.split()))
    return _LIST_START.sub(r"\1\\. ", _BLOCK_START.sub(r"\\\g<0>", plain))


def link(text: str, source: str) -> str:
    """`text` (already Markdown) linked to `source`, or `text` alone when `source` is no web URL."""
    url = web_url(source)
    return text if url is None else f"[{text}]({url})"


def quote_with_highlight(text: str, highlight: str, limit: int) -> str:
    """The passage, escaped, with its highlight in bold, trimmed around the highlight to fit."""
    at = text.find(highlight) if highlight else -1
    if at < 0:
        return _keep_start(escape(text), limit)
    core = f"**{_keep_start(escape(highlight), limit - 4)}**"
    before, after = escape(text[:at]), escape(text[at + len(highlight):])
    room = max(0, limit - len(core) - 2)
    after_room = min(len(after), room // 2)
    before_room = min(len(before), room - after_room)
    after_room = min(len(after), room - before_room)
    parts = (_keep_end(before, before_room), core, _keep_start(after, after_room))
    return " ".join(part for part in parts if part)


def _keep_start(text: str, room: int) -> str:
    """The beginning of `text` in at most `room` characters, cut between words."""
    if len(text) <= room:
        return text
    if room < 2:
        return ""
    cut = text[:room - 1]
    space = cut.rfind(" ")
    while space > 0 and _inside_number(text, space):
        space = cut.rfind(" ", 0, space)
    kept = (cut[:space] if space > 0 else cut).rstrip()
    return _without_half_escape(kept) + ELLIPSIS


def _without_half_escape(text: str) -> str:
    """`text` without a trailing backslash that escapes nothing once the rest is cut off."""
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1] if trailing % 2 else text


def _inside_number(text: str, space: int) -> bool:
    """Whether the space at `space` groups the digits of one number ("10 000", "2 500 000"
    with no-break spaces, which `escape` makes plain): a cut there shows another number."""
    return 0 < space < len(text) - 1 and text[space - 1].isdigit() and text[space + 1].isdigit()


def _keep_end(text: str, room: int) -> str:
    """The end of `text` in at most `room` characters, cut between words."""
    if len(text) <= room:
        return text
    if room < 2:
        return ""
    offset = len(text) - (room - 1)
    while offset < len(text) and _escaped(text, offset):
        offset += 1  # never keep a character ("<", "[") without the backslash that escapes it
    cut = text[offset:]
    space = cut.find(" ")
    while space >= 0 and _inside_number(text, offset + space):
        space = cut.find(" ", space + 1)
    return ELLIPSIS + (cut[space + 1:] if 0 <= space < len(cut) - 1 else cut).lstrip()


def _escaped(text: str, at: int) -> bool:
    """Whether text[at] follows an odd run of backslashes, which escape it."""
    run = len(text[:at]) - len(text[:at].rstrip("\\"))
    return run % 2 == 1


def _source_link(hit: Hit, *, compact: bool = False) -> str:
    """A line linking the citation to the article's source, or "" when it has no web source.
    `compact`: the link's text is just the paragraphs (the field's name has the title)."""
    url = web_url(hit.source)
    if url is None:
        return ""
    label = paragraphs_label(hit.paragraphs)
    text = f"Source {label}" if compact else f"{clip(inert(hit.title), 80)} {label}"
    return f"\n[{text}]({url})"


def field_name(title: str, before: str = "", after: str = "") -> str:
    """An embed field name around a title that may be long: the title is what is cut, so the
    rank before it and the citation or date after it stay whole."""
    room = FIELD_NAME_LIMIT - len(before) - len(after)
    return clip(before + clip(title, max(room, 1)) + after, FIELD_NAME_LIMIT)


def _field_name(hit: Hit) -> str:
    return field_name(inert(hit.title), f"{hit.rank}. ",
                      f" · {paragraphs_label(hit.paragraphs)}")


def hit_field(hit: Hit, value_limit: int = FIELD_VALUE_LIMIT) -> tuple[str, str]:
    """(name, value) of the embed field citing one passage; the citation links to the source.
    The quote comes first: a long link is shortened, then dropped, before the quote would get
    less than half of the field."""
    name = _field_name(hit)
    quote_room = min(MIN_QUOTE, value_limit // 2)
    for link in (_source_link(hit), _source_link(hit, compact=True), ""):
        if value_limit - len(link) >= quote_room:
            break
    body = quote_with_highlight(hit.text, hit.highlight, value_limit - len(link))
    return name, body + link


def answer_embed(answer: Answer, hits: Sequence[Hit] | None = None,
                 footer: str = "") -> discord.Embed:
    """An embed with one field per cited passage, the embed's room shared among their values."""
    hits = list(answer.hits if hits is None else hits)[:FIELDS_LIMIT]
    embed = discord.Embed(title=clip(answer.question, TITLE_LIMIT), colour=COLOUR)
    footer = clip(footer, FOOTER_LIMIT)
    names = [_field_name(hit) for hit in hits]
    budget = EMBED_TOTAL_LIMIT - len(embed.title) - len(footer) - sum(map(len, names))
    per_field = min(FIELD_VALUE_LIMIT, budget // max(1, len(hits)))
    for hit in hits:
        name, value = hit_field(hit, per_field)
        embed.add_field(name=name, value=value, inline=False)
    if footer:
        embed.set_footer(text=footer)
    return embed


def not_covered_text(answer: Answer) -> str:
    """The refusal's plain line: hedged, and announcing the passage, when a closest one exists;
    after saying so when a follow-up's subject is no longer indexed."""
    line = SEEMS_NOT_COVERED if answer.hits else NOT_COVERED
    return f"{CONTEXT_GONE}\n{line}" if answer.context_gone else line


def closest_embed(answer: Answer) -> discord.Embed | None:
    """Under a refusal, the closest passage's best sentence quoted and cited, or None."""
    if not answer.hits:
        return None
    top = answer.hits[0]
    name = field_name(inert(top.title), after=f" · {paragraphs_label(top.paragraphs)}")
    link = _source_link(top)
    sentence = escape(top.highlight) or escape(top.text) or ELLIPSIS
    value = f"> {_keep_start(sentence, FIELD_VALUE_LIMIT - len(link) - 2)}{link}"
    embed = discord.Embed(colour=LOW_CONFIDENCE_COLOUR)
    embed.add_field(name=name, value=value, inline=False)
    return embed


def read_as_line(answer: Answer | Summary) -> str:
    """How misspelt words of a question or topic were read (bot.wording), inert: an indexed
    token may hold "@"."""
    return read_as_note({inert(typed): inert(word) for typed, word in answer.read_as.items()},
                        READ_AS_LIMIT)


def not_covered_message(answer: Answer, *, titled: bool = False) -> dict[str, object]:
    """Keyword arguments for sending a refusal: the plain line, then any closest passage.
    `titled`: the embed is headed by the question, as an answer's is (an `/ask` response
    shows the channel only the command's name, not the question it refuses)."""
    embed = closest_embed(answer)
    if titled:
        embed = embed or discord.Embed(colour=LOW_CONFIDENCE_COLOUR)
        embed.title = clip(answer.question, TITLE_LIMIT)
    note = read_as_line(answer)
    message: dict[str, object] = {"content": f"{note}\n{not_covered_text(answer)}" if note
                                  else not_covered_text(answer)}
    if embed is not None:
        message["embed"] = embed
    return message


def sources_embed(records: Sequence[ArticleRecord], page: int, per_page: int) -> discord.Embed:
    """One page of the indexed articles."""
    pages = max(1, -(-len(records) // per_page))
    page = min(max(0, page), pages - 1)
    shown = records[page * per_page:(page + 1) * per_page]
    room = DESCRIPTION_LIMIT // max(1, per_page) - 1  # every article of the page must fit
    lines = []
    for r in shown:
        date = f" · {r.published_day.isoformat()}" if r.published_day else ""
        tail = f"{date} · {counted(r.passages, 'passage')}"
        title = clip(inert(r.title), 300)
        line = f"**{link(title, r.source)}**{tail}"
        if len(line) > room:  # a long link goes first, then the title is cut
            line = f"**{clip(title, max(room - len(tail) - 4, 1))}**{tail}"
        lines.append(line)
    description = whole_lines(lines, DESCRIPTION_LIMIT) or NOTHING_INDEXED
    embed = discord.Embed(title=f"Indexed articles ({len(records)})",
                          description=description, colour=COLOUR)
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


def progress_text(done: int, total: int) -> str:
    """The reindex progress line."""
    return f"Embedding {done}/{total} passages…"


def reindex_text(report: ReindexReport) -> str:
    """What a reindex changed, for the progress message's last edit."""
    if not report.changes:
        text = (f"Reindex done: nothing changed ({counted(report.passages, 'passage')}); "
                f"embedded {counted(report.embedded, 'passage')}.")
    else:
        parts = [f"{len(report.added)} added", f"{len(report.changed)} changed",
                 f"{len(report.removed)} removed"]
        text = (f"Reindex done: {', '.join(parts)}; embedded "
                f"{counted(report.embedded, 'passage')}; {counted(report.passages, 'passage')} "
                "indexed.")
    if report.skipped:
        text += "\nSkipped: "
        room = CONTENT_LIMIT - len(text) - 60  # for the count of those not named
        names = []
        for skipped in report.skipped[:10]:
            name = f"{escape(skipped.path)} ({escape(skipped.reason)})"
            if len(name) + 2 > room and names:
                break
            names.append(clip(name, room))
            room -= len(names[-1]) + 2
        text += ", ".join(names)
        if left := len(report.skipped) - len(names):
            text += f" and {left} more (`briefing reindex` names them all)"
    return clip(text, CONTENT_LIMIT)


def nothing_on_topic(summary: Summary) -> str:
    """The line for a briefing with nothing to give, under how a topic's misspelt words were
    read, as an answered or refused one has it: the not-covered line of `/ask` and the
    terminal, as nothing matched here either."""
    note = read_as_line(summary)
    return f"{note}\n{NOT_COVERED}" if note else NOT_COVERED


def cited_sentences(sentences: Sequence[SummarySentence], limit: int) -> str:
    """Summary sentences, each followed by its ¶ citation, trimmed to whole sentences."""
    return _cited_lines(((escape(s.text), f"(¶{s.paragraph})") for s in sentences), limit)


def _cited_lines(lines: Iterable[tuple[str, str]], limit: int) -> str:
    """Lines of a text and its citation, as many whole ones as fit in `limit` characters;
    when not even the first fits, its text is cut and its citation kept."""
    lines = list(lines)
    kept = whole_lines((f"{text} {cite}" for text, cite in lines), limit)
    if lines and not kept.startswith(lines[0][0]):  # the first line was cut
        text, cite = lines[0]
        kept = _keep_start(text, limit - len(cite) - 1) + " " + cite
    return kept


def whole_lines(lines: Iterable[str], limit: int) -> str:
    """As many whole lines as fit in `limit` characters (the first cut if none fits)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit:
            if not kept:
                kept.append(_keep_start(line, limit))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def summary_embed(summary: Summary, title: str, asked: int | None = None) -> discord.Embed:
    """One article's summary (description) or a topic briefing (one field per article); the
    footer says why fewer sentences than `asked` are shown, when they are."""
    embed = discord.Embed(title=clip(inert(title), TITLE_LIMIT), colour=COLOUR)
    groups = summary.by_article()
    if len(groups) == 1 and groups[0][1] == title:
        embed.description = cited_sentences(groups[0][2], DESCRIPTION_LIMIT)
        shown = embed.description.count("\n") + 1
    else:
        groups = groups[:FIELDS_LIMIT]
        names = [clip(inert(article_title), FIELD_NAME_LIMIT) for _, article_title, _ in groups]
        values = _shared_out([sentences for _, _, sentences in groups],
                             EMBED_TOTAL_LIMIT - len(embed.title) - FOOTER_ROOM
                             - sum(len(n) for n in names), cited_sentences)
        shown = 0
        for name, value in zip(names, values, strict=True):
            shown += value.count("\n") + 1 if value else 0
            embed.add_field(name=name, value=value or ELLIPSIS, inline=False)
    if (left := len(summary.sentences) - shown) > 0:
        embed.set_footer(text=f"{counted(left, 'more sentence')} did not fit; ask for fewer.")
    elif asked is not None and shown < asked:
        embed.set_footer(text=f"{counted(shown, 'sentence')} of the {asked} asked for: the "
                              "others found were too far from the topic or said the same.")
    return embed


def story_cited_sentences(sentences: Sequence[SummarySentence], limit: int) -> str:
    """Key sentences of a story, each citing its article's title and ¶, whole sentences only."""
    return _cited_lines(((escape(s.text), f"({clip(inert(s.title), 80)}, ¶{s.paragraph})")
                         for s in sentences), limit)


DIGEST_STORIES = 8  # stories a digest embed shows (the cogs ask the index to summarise these)


def digest_embed(digest: Digest, max_entries: int = DIGEST_STORIES) -> discord.Embed:
    """The stories of recently indexed articles: who reported each, a few cited key
    sentences; for a story seen before, only what is new since."""
    since = digest.since.strftime("%Y-%m-%d %H:%M UTC")
    if not digest.entries:
        return discord.Embed(title="Digest", colour=COLOUR,
                             description=f"No articles were indexed since {since}.")
    stories = digest.stories or len(digest.entries)
    embed = discord.Embed(title=f"Digest: {stories} stor{'ies' if stories != 1 else 'y'} from "
                          f"{digest.total} article{'s' if digest.total != 1 else ''} since "
                          f"{since}", colour=COLOUR)
    shown = digest.entries[:max_entries]
    day = digest.since.strftime("%Y-%m-%d")
    names = [field_name(inert(entry.title),
                        after=f" · {reported_by(entry.outlets, entry.unsourced)} · {entry.date}"
                              f"{f' · new since {day}' if entry.earlier else ''}")
             for entry in shown]
    values = _shared_out([entry.sentences for entry in shown],
                         EMBED_TOTAL_LIMIT - len(embed.title) - FOOTER_ROOM
                         - sum(len(n) for n in names), story_cited_sentences)
    left_out = 0
    for entry, name, value in zip(shown, names, values, strict=True):
        left_out += len(entry.sentences) - (value.count("\n") + 1 if value else 0)
        if not value:
            value = NOTHING_NEW.format(day=day) if entry.earlier else ELLIPSIS
        embed.add_field(name=name, value=value, inline=False)
    notes = []
    if stories > len(shown):
        notes.append(f"and {stories - len(shown)} more; see /stories")
    if left_out:
        notes.append(f"{counted(left_out, 'key sentence')} did not fit")
    if notes:
        embed.set_footer(text=" · ".join(notes))
    return embed


NOTHING_NEW = "Nothing new since {day}."  # a story seen before that added nothing


def _shared_out(groups: Sequence[Sequence[SummarySentence]], room: int,
                cite: Callable[[Sequence[SummarySentence], int], str]) -> list[str]:
    """Each group's sentences as `cite` writes them, within an equal share of `room`
    characters, a share that a shorter group leaves unused going to those after it (longest
    last); an empty value counts as the longest placeholder a caller puts in its place."""
    values = [""] * len(groups)
    order = sorted(range(len(groups)), key=lambda i: len(cite(groups[i], FIELD_VALUE_LIMIT)))
    for done, i in enumerate(order):
        share = min(FIELD_VALUE_LIMIT, room // (len(order) - done))
        values[i] = cite(groups[i], share)
        room -= max(len(values[i]), len(NOTHING_NEW.format(day="2026-12-01")))
    return values


def stories_embed(stories: Sequence[Story], since: str = "",
                  articles_per_story: int = 6) -> discord.Embed:
    """One page of stories: each with its outlets and its articles (linked to their sources);
    as many whole stories as fit, the rest counted in the footer."""
    heading = f"Stories since {since}" if since else "Stories"
    kept: list[str] = []
    used = 0
    for story in stories:
        reported = reported_by(story.outlets, story.unsourced)
        lines = [f"**{clip(inert(story.title), 200)}** · {reported}"]
        for a in story.articles[:articles_per_story]:
            where = clip(inert(a.outlet or "no source"), 60)
            lines.append(f"- {link(clip(inert(a.title), 150), a.source)} · {a.date} · {where}")
        if len(story.articles) > articles_per_story:
            lines.append(f"- and {len(story.articles) - articles_per_story} more reports")
        block = "\n".join(lines)
        if used + len(block) + 1 > DESCRIPTION_LIMIT - 100:
            break
        kept.append(block)
        used += len(block) + 1
    empty = NOTHING_DATED_SINCE if since else NOTHING_INDEXED
    embed = discord.Embed(title=f"{heading} ({len(stories)})", colour=COLOUR,
                          description="\n".join(kept) or (ELLIPSIS if stories else empty))
    if len(kept) < len(stories):
        embed.set_footer(text=f"and {len(stories) - len(kept)} more stories; narrow with since")
    return embed
