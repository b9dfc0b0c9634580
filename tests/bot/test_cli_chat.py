"""`briefing chat` and `briefing ask --source/--since` as a script or a user runs them."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.support import ROOT


def run(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    index_dir = tmp_path_factory.mktemp("chat") / "index"
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(index_dir),
           "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}
    assert run(["reindex"], env).returncode == 0
    return env


def lines(*messages: dict | str) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


def test_chat_json_answers_each_line_in_order_with_threads_kept_apart(env):
    result = run(["chat", "--json", "-"], env, lines(
        {"thread": "a", "text": "Why did Erdoğan approve Sweden's NATO bid?"},
        {"thread": "b", "text": "How much trade is there between Russia and Turkey?"},
        {"thread": "a", "text": "when did he send it to parliament?"},
        {"thread": "b", "text": "and what about this year?"}))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["thread"] for o in out] == ["a", "b", "a", "b"]
    assert set(out[0]) == {"question", "answered", "hits", "thread"}
    assert set(out[0]["hits"][0]) == {"rank", "score", "article", "title", "paragraphs",
                                      "start", "end", "text", "highlight"}
    assert out[2]["question"] == "when did he send it to parliament?"
    assert out[2]["answered"] and out[2]["hits"][0]["paragraphs"] == [15]
    assert out[3]["hits"][0]["paragraphs"] == [6]  # thread b was about trade, not Sweden


def test_chat_json_gives_each_thread_back_as_it_came(env):
    result = run(["chat", "--json", "-"], env, lines(
        {"thread": 7, "text": "How much trade is there between Russia and Turkey?"},
        {"thread": "7", "text": "Why did Erdoğan approve Sweden's NATO bid?"},
        {"thread": None, "text": "Sweden"}, {"thread": {"user": 1}, "text": "Sweden"},
        {"thread": 7, "text": "and what about this year?"}))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["thread"] for o in out] == [7, "7", None, {"user": 1}, 7]
    assert out[4]["hits"][0]["paragraphs"] == [6]  # 7 was about trade; "7", about Sweden


def test_chat_json_gives_one_line_per_input_line_with_errors_in_band(env):
    result = run(["chat", "--json", "-"], env, lines(
        "not json", "", {"thread": "a"}, {"thread": "a", "text": "   "}, "[1, 2]",
        {"thread": "a", "text": "Why did Erdoğan approve Sweden?"}))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6 and result.returncode == 1 and "Traceback" not in result.stderr
    assert all(o["error"] and not o["answered"] and o["hits"] == [] for o in out[:5])
    assert out[1]["error"].startswith("each line must be a JSON object")  # the empty line
    assert out[5]["answered"] and "error" not in out[5]


def test_chat_json_new_starts_a_thread_over_as_in_the_terminal(env):
    """"/new" was answered as a question, and the thread kept its context."""
    result = run(["chat", "--json", "-"], env, lines(
        {"thread": "a", "text": "Why did Erdoğan approve Sweden's NATO bid?"},
        {"thread": "a", "text": " /new "},
        {"thread": "a", "text": "when did he send it to parliament?"}))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[1] == {"question": " /new ", "answered": False, "hits": [],
                      "started_over": True, "thread": "a"}
    assert not out[2]["answered"]  # the pronouns mean nothing in a new conversation


def test_chat_prompt_keeps_the_conversation_until_new(env):
    result = run(["chat"], env, "Why did Erdoğan approve Sweden's NATO bid?\n"
                                "when did he send it to parliament?\n/new\n"
                                "when did he send it to parliament?\n")
    assert result.returncode == 0, result.stderr
    answers = [block for block in re.split(r"^(?:\? )+", result.stdout, flags=re.M) if block]
    assert len(answers) == 4
    assert answers[1].startswith("1. ") and "¶15" in answers[1].splitlines()[0]
    # /new is acknowledged (it printed nothing, as if the line had been ignored)
    assert answers[2] == "Started a new conversation: the next question stands on its own.\n\n"
    assert "don't seem to cover" in answers[3]  # after /new the pronouns mean nothing


@pytest.mark.parametrize("typed", ["new", "/New"])
def test_chat_starts_over_on_what_a_dm_starts_over_on(env, typed):
    """A DM takes "new" and "/New" as "/new" (the README says: as in `briefing chat`); the
    chat searched them as a question and kept the conversation's subject."""
    result = run(["chat"], env, f"Why did Erdoğan approve Sweden's NATO bid?\n{typed}\n"
                                "when did he send it to parliament?\n")
    assert result.returncode == 0, result.stderr
    answers = [block for block in re.split(r"^(?:\? )+", result.stdout, flags=re.M) if block]
    assert answers[1] == "Started a new conversation: the next question stands on its own.\n\n"
    assert "don't seem to cover" in answers[2]
    scripted = run(["chat", "--json", "-"], env, lines({"thread": "a", "text": typed}))
    assert json.loads(scripted.stdout)["started_over"] is True


def test_ask_with_an_unknown_source_or_a_bad_since_is_one_line(env):
    unknown = run(["ask", "--source", "nowhere.example", "Sweden"], env)
    assert unknown.returncode == 1 and "no indexed article or outlet" in unknown.stderr
    assert "Traceback" not in unknown.stderr and unknown.stderr.strip().count("\n") == 0
    bad = run(["ask", "--since", "last tuesday", "Sweden"], env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "argument --since: 'last tuesday' is not a date" in bad.stderr.splitlines()[-1]


def test_ask_scoped_to_an_article_answers_from_it(env):
    result = run(["ask", "--json", "--source", "russia-turkiye-israel-hamas-war",
                  "--since", "7d", "Why did Erdoğan approve Sweden?"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"][0]["paragraphs"] == [15]


def test_ask_scoped_by_the_article_s_whole_title_in_any_case_as_discord_takes_it(env):
    result = run(["ask", "--json", "--source", "russia and TÜRKIYE align on the israel-hamas war",
                  "Why did Erdoğan approve Sweden?"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"][0]["paragraphs"] == [15]


def test_the_terminal_reads_a_follow_up_with_as_many_turns_as_the_setting_says():
    """`briefing chat` kept 6 turns whatever BRIEFING_CONVERSATION_TURNS said."""
    from bot.cli.chat import ChatMemory
    from index import Answer

    seen: list[int] = []

    class Recording:
        def ask_followup(self, text, turns, k, scope=None):
            seen.append(len(turns))
            return Answer(text, False, (), 0.0), True

    memory = ChatMemory(max_turns=2)
    for i in range(5):
        memory.ask(Recording(), "t", f"question {i}", 3)
    assert seen == [0, 1, 2, 2, 2]


@pytest.mark.parametrize("command", [["ask", "--json", "-"], ["chat", "--json", "-"]])
def test_a_scope_matching_nothing_is_each_line_s_error_when_reading_lines(env, command):
    """One JSON line out for every line in, even when the --source matches no article."""
    result = run([*command, "--source", "bogus.example"], env, lines(
        {"thread": "a", "text": "Why did Erdoğan approve Sweden?"},
        {"thread": "b", "text": "What came out of the Sochi summit?"})
        if command[0] == "chat" else "Why did Erdoğan approve Sweden?\nSochi?\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 2 and result.returncode == 1
    assert all(o["error"] == "no indexed article or outlet is 'bogus.example'"
               and not o["answered"] for o in out)


def test_a_follow_up_whose_article_was_removed_meanwhile_says_it_is_gone(tmp_path, embedder,
                                                                          corpus_copy):
    """`briefing remove` from another terminal during a chat: the follow-up on the removed
    article got the plain refusal, with an unrelated passage, and no word of why."""
    from bot.cli.chat import ChatMemory
    from bot.terminal import format_answer
    from index import BriefingIndex
    from index.ingest.corpus import to_markdown
    from tests.bot.feed_server import STORIES

    title, paragraphs = STORIES["tugboats"]
    (corpus_copy / "tugboats.md").write_text(
        to_markdown(title, "https://harbour.example/tugs", "2025-03-03", "\n\n".join(paragraphs)),
        "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus_copy)
    memory = ChatMemory(max_turns=4)
    assert memory.ask(index, "t", "Why did Erdoğan approve Sweden's NATO bid?", 3).answered
    index.remove_articles(corpus_copy, ["russia-turkiye-israel-hamas-war"])
    index.reindex(corpus_copy)
    shown = format_answer(memory.ask(index, "t", "when did he send it to parliament?", 3))
    assert shown.splitlines()[:2] == [
        "The article this conversation was about is no longer indexed.",
        "The indexed articles don't seem to cover that. The closest passage, low confidence:"]


def test_chat_json_says_when_a_follow_up_s_article_was_removed_meanwhile(tmp_path, embedder,
                                                                         corpus_copy, capsys):
    """The text output said the conversation's article was gone; the JSON line had no field
    for it, so a script saw only a refusal."""
    from bot.cli.chat import chat_json
    from index import BriefingIndex
    from index.ingest.corpus import to_markdown
    from tests.bot.feed_server import STORIES

    title, paragraphs = STORIES["tugboats"]
    (corpus_copy / "tugboats.md").write_text(
        to_markdown(title, "https://harbour.example/tugs", "2025-03-03", "\n\n".join(paragraphs)),
        "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus_copy)

    def typed():  # the article is removed from another terminal between the two lines
        yield json.dumps({"thread": "t", "text": "Why did Erdoğan approve Sweden's NATO bid?"})
        index.remove_articles(corpus_copy, ["russia-turkiye-israel-hamas-war"])
        index.reindex(corpus_copy)
        yield json.dumps({"thread": "t", "text": "when did he send it to parliament?"})

    assert chat_json(index, typed(), 3, 4) == 0
    first, followup = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["answered"] and "context_gone" not in first
    assert followup["context_gone"] is True and not followup["answered"]


def test_ask_scoped_to_a_source_given_by_name_in_any_case(tmp_path):
    """`--source` took a source URL's host only: an article whose front matter says
    "source: Reuters" could not be asked about alone."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in ROOT.joinpath("corpus").glob("*.md"):
        (corpus / article.name).write_text(article.read_text("utf-8"), "utf-8")
    (corpus / "sochi.md").write_text(
        "---\ntitle: Grain talks stall in Sochi\nsource: Reuters\n---\n\nTalks in Sochi "
        "between the Turkish and Russian presidents ended without a return to the Black Sea "
        "grain deal, leaving Ukrainian wheat exports through Odesa halted.\n", "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus)}
    result = run(["ask", "--json", "--source", "reuters", "What came of the Sochi talks?"], env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert hits and {h["article"] for h in hits} == {"sochi"}
