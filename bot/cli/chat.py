"""`briefing chat`: conversations in the terminal, or as JSON lines for scripts and evaluation.

With `--json`, each input line is `{"thread": "<any id>", "text": "<message>"}`; lines with the
same thread form one conversation, in order. Each output line is the `ask --json` object plus
"thread", one per input line, in order; an unusable line gets `"answered": false` and "error".
The text "/new" (or "new") starts that thread over, as in the terminal: its line gets
`"started_over": true`.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Iterable

from bot.conversations import starts_over
from bot.terminal import answer_json, echoed, format_answer
from index import Answer, BriefingError, BriefingIndex, Scope, Turn

THREADS_KEPT = 10_000  # conversations remembered by one run (oldest forgotten first)


class ChatMemory:
    """The turns of each thread seen in this run, bounded in turns (BRIEFING_CONVERSATION_TURNS,
    as in Discord) and threads."""

    def __init__(self, max_turns: int) -> None:
        self._threads: OrderedDict[str, list[Turn]] = OrderedDict()
        self._max_turns = max_turns

    def ask(self, index: BriefingIndex, thread: str, text: str, k: int,
            scope: Scope | None = None) -> Answer:
        """Answer `text` as the next message of `thread`, and remember it."""
        turns = self._threads.get(thread, [])
        answer, standalone = index.ask_followup(text, turns, k, scope)
        self._threads.pop(thread, None)  # re-inserted last: the most recently active
        self._threads[thread] = [*turns, Turn.of(answer, standalone)][-self._max_turns:]
        while len(self._threads) > THREADS_KEPT:
            self._threads.popitem(last=False)
        return answer

    def forget(self, thread: str) -> None:
        """Start `thread` over: its next message is a first question."""
        self._threads.pop(thread, None)


STARTED_OVER = "Started a new conversation: the next question stands on its own."


def chat_json(index: BriefingIndex, lines: Iterable[str], k: int, max_turns: int,
              scope: Scope | None = None, refused: BriefingError | None = None) -> int:
    """Answer JSON lines from `lines`, printing one JSON line for each; 1 if any failed.
    `refused`: why no line can be answered (a scope that matches nothing), said on each."""
    memory = ChatMemory(max_turns)
    status = 0
    for line in lines:
        thread: object = ""
        try:
            message = json.loads(line) if line.strip() else None  # an empty line: no object
            if not isinstance(message, dict):
                raise BriefingError('each line must be a JSON object {"thread": …, "text": …}')
            thread, text = message.get("thread", ""), message.get("text")
            if not isinstance(text, str):
                raise BriefingError('"text" must be a string')
            # Any JSON value names a thread, and is given back as it came: 7 and "7" differ.
            key = json.dumps(thread, sort_keys=True)
            if refused is not None:
                raise refused
            if starts_over(text):
                memory.forget(key)
                out = {"question": text, "answered": False, "hits": [], "started_over": True}
            else:
                out = answer_json(memory.ask(index, key, text, k, scope))
        except (BriefingError, ValueError) as err:
            status = 1
            reason = str(err) if isinstance(err, BriefingError) else f"not JSON: {err}"
            out = {"question": echoed(line), "answered": False, "hits": [],
                   "error": reason}
        print(json.dumps({**out, "thread": thread}, ensure_ascii=False), flush=True)
    return status


def chat_prompt(index: BriefingIndex, k: int, max_turns: int,
                scope: Scope | None = None) -> int:
    """An interactive conversation: each message is read in the context of the ones before;
    "/new" (or "new", as in a DM) starts over, an empty line or Ctrl-D ends."""
    memory = ChatMemory(max_turns)
    thread = 0
    print("Ask about the articles; follow-up questions keep the context. /new starts over, "
          "an empty line ends.", file=sys.stderr)
    while True:
        try:
            text = input("? ")
        except EOFError:
            print(file=sys.stderr)
            return 0
        if not text.strip():
            return 0
        if starts_over(text):  # said, or it looks as if the line was ignored
            thread += 1
            print(STARTED_OVER + "\n")
            continue
        try:
            print(format_answer(memory.ask(index, str(thread), text, k, scope)) + "\n")
        except BriefingError as err:
            print(f"briefing: {err}", file=sys.stderr)
