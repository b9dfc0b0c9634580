"""The `briefing` command as a user runs it: output shapes, errors, first run."""

import json
import os
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from bot.terminal import format_answer
from index import Answer
from tests.support import ROOT


def run(args: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """A fresh index directory: the first `ask` must build it."""
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    return {**os.environ, "BRIEFING_INDEX_DIR": str(index_dir),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}


def test_first_ask_builds_the_index_then_answers_in_the_documented_json(env):
    result = run(["ask", "--json", "Why did Erdoğan approve Sweden?"], env)
    assert result.returncode == 0, result.stderr
    assert "No index yet" in result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "answered", "hits"}
    assert answer["answered"] is True
    top = answer["hits"][0]
    assert set(top) == {"rank", "score", "article", "title", "paragraphs", "start", "end",
                        "text", "highlight"}
    assert top["paragraphs"] == [15] and top["rank"] == 1
    assert top["highlight"] in top["text"]
    body = (ROOT / "corpus" / "russia-turkiye-israel-hamas-war.md").read_text("utf-8")
    assert top["text"] in body


def test_a_misspelt_word_is_read_as_meant_and_the_answer_says_so(env):
    question = "what came out of the sochi meetng?"
    answer = json.loads(run(["ask", "--json", question], env).stdout)
    assert answer["read_as"] == {"meetng": "meeting"}
    assert answer["answered"] and answer["hits"][0]["paragraphs"] == [5]
    lines = run(["ask", question], env).stdout.splitlines()
    assert lines[0] == "Read “meetng” as “meeting”."
    assert lines[1].startswith("1. ") and lines[1].endswith("· ¶5")


def test_the_note_names_words_as_typed_and_as_the_articles_write_them(env):
    # Not "erdogn" as "erdogan": the reader's own word, then the article's ("Erdoğan" and
    # "Sweden" are always capitalised there; "approve" is written in lower case).
    lines = run(["ask", "Why did Erdogn aprove SWEDN?"], env).stdout.splitlines()
    assert lines[0] == "Read “Erdogn” as “Erdoğan”, “aprove” as “approve” and “SWEDN” as “Sweden”."


def test_a_word_typed_with_a_combining_accent_is_named_as_typed(env):
    # "Hämass" and "Erdoğn" with their accents as combining marks (as some keyboards and
    # pastes give them) were named in lower case and without the accents: "hamass", "erdogn".
    question = unicodedata.normalize("NFD", "What did Hämass do after Erdoğn approve Sweden?")
    lines = run(["ask", question], env).stdout.splitlines()
    assert lines[0] == "Read “Hämass” as “Hamas” and “Erdoğn” as “Erdoğan”."


def test_a_word_capitalised_only_where_it_opens_a_sentence_is_read_in_lower_case(env):
    # The passages on Russia's trade with Turkey write "economic" only as "Economic data
    # provides…": that capital is the sentence's, not the word's.
    lines = run(["ask", "What are the economc ties between Russia and Turkey?"],
                env).stdout.splitlines()
    assert lines[0] == "Read “economc” as “economic”."


def test_a_name_the_one_result_lacks_is_still_shown_as_the_articles_write_it(env):
    # The single passage on trade never names Nebenzha; the note must not show the index's
    # token ("nebenzha") but the name as the articles write it.
    lines = run(["ask", "-k", "1", "What did Nebenzya say about trade with Turkey?"],
                env).stdout.splitlines()
    assert lines[0] == "Read “Nebenzya” as “Nebenzha”."
    assert "Nebenzha" not in "\n".join(lines[1:])


def test_text_answer_cites_title_and_paragraph_and_bolds_the_highlight(env):
    result = run(["ask", "-k", "2", "Why did Erdoğan approve Sweden?"], env)
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("1. ") and first_line.endswith("· ¶15")
    assert "**Just two days before" in result.stdout
    assert "\n2. " in result.stdout and "\n3. " not in result.stdout


def test_off_topic_question_says_so_then_quotes_and_cites_the_closest_sentence(env):
    question = "Who won the 2018 World Cup?"
    result = run(["ask", question], env)
    assert result.returncode == 0, result.stderr
    [closest] = json.loads(run(["ask", "--json", "-k", "1", question], env).stdout)["hits"]
    lines = result.stdout.splitlines()
    assert lines[0] == ("The indexed articles don't seem to cover that. "
                        "The closest passage, low confidence:")
    quoted = " ".join(line.strip() for line in lines[1:-1])
    assert quoted == f"“{' '.join(closest['highlight'].split())}”"
    assert lines[-1] == f"   — {closest['title']} · ¶{closest['paragraphs'][0]}"
    body = (ROOT / "corpus" / "russia-turkiye-israel-hamas-war.md").read_text("utf-8")
    assert closest["highlight"] in body and len(closest["highlight"]) > 40


@pytest.mark.parametrize(("question", "start", "end"), [
    ("What is a dichotomy in philosophy?", "“According to a Kremlin reading",
     "Moscow and Ankara ‘have de facto overlapping positions and are in agreement with the "
     "well-known dichotomy that provides for the creation of a state system.’”"),
    ("What do national solutions for housing look like?",
     "“‘We are focused", "‘We are focused on implementing national solutions.’”"),
])
def test_a_closest_sentence_quoting_someone_keeps_one_pair_of_outer_quotes(env, question,
                                                                           start, end):
    """A sentence that ends a quotation was shown ending in "state system.””"."""
    lines = run(["ask", question], env).stdout.splitlines()
    assert lines[0].startswith("The indexed articles don't seem to cover that.")
    quoted = " ".join(line.strip() for line in lines[1:-1])
    assert quoted.startswith(start) and quoted.endswith(end)
    assert quoted.count("“") == quoted.count("”") == 1


def test_off_topic_json_keeps_answered_false_and_the_hits(env):
    result = run(["ask", "--json", "Who won the 2018 World Cup?"], env)
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "answered", "hits"}
    assert answer["answered"] is False and len(answer["hits"]) == 3


def test_refusal_with_nothing_found_is_one_plain_line():
    assert format_answer(Answer("q", False, (), 0.0)) == "The indexed articles don't cover that."


def test_stdin_questions_give_one_json_line_each_in_order_errors_in_band(env):
    long_line = "why " * 400
    result = run(["ask", "--json", "-"], env,
                 stdin=f"How has Erdogan supported Hamas?\n\n{long_line}\n"
                       "How tall is the Eiffel Tower?\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["question"][:40], a["answered"]) for a in lines] == [
        ("How has Erdogan supported Hamas?", True), ("", False), ("why why why why why why why why "
                                                                  "why why ", False),
        ("How tall is the Eiffel Tower?", False)]
    assert lines[0]["hits"][0]["paragraphs"] == [11]
    assert "empty" in lines[1]["error"] and "limit" in lines[2]["error"]
    assert "error" not in lines[0] and "error" not in lines[3]


def test_second_reindex_embeds_nothing(env):
    run(["reindex"], env)
    result = run(["reindex"], env)
    assert result.returncode == 0
    assert "embedded 0 passages" in result.stdout


def test_sources_json(env):
    result = run(["sources", "--json"], env)
    [source] = json.loads(result.stdout)
    assert source["article"] == "russia-turkiye-israel-hamas-war"
    assert source["passages"] == 17 and source["indexed_at"]
    assert set(source) == {"article", "title", "source", "published", "date", "passages",
                           "indexed_at"}


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "   "], "the question is empty"),
    (["ask", "x" * 5000], "the limit is 1000"),
])
def test_bad_question_is_one_line_without_traceback(env, args, message):
    result = run(args, env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_corrupt_index_are_one_line_errors(tmp_path: Path):
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "none")}
    missing = run(["sources"], env)
    assert missing.returncode == 1 and "run `briefing reindex`" in missing.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "CURRENT").write_text("gen-x")
    (tmp_path / "bad" / "gen-x").mkdir()
    corrupt = run(["sources"], {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "bad")})
    assert corrupt.returncode == 1 and corrupt.stderr == (
        f"briefing: {tmp_path / 'bad' / 'gen-x' / 'manifest.json'} is unreadable (No such file "
        "or directory); run `briefing reindex`\n")
    assert "Traceback" not in corrupt.stderr + missing.stderr


def test_a_damaged_index_is_rebuilt_without_advising_the_rebuild(tmp_path: Path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "CURRENT").write_text("gen-gone")  # its generation was deleted
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "port.txt").write_text(
        "The port of Rotterdam closed on Tuesday after a storm brought strong winds.\n")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(tmp_path / "corpus")}
    result = run(["ask", "When did the port of Rotterdam close?"], env)
    assert result.returncode == 0 and "Rotterdam" in result.stdout
    assert "names a missing generation 'gen-gone': rebuilding it from" in result.stderr
    assert "run `briefing reindex`" not in result.stderr  # it is being run


@pytest.mark.parametrize(("name", "value"), [("BRIEFING_TOP_K", "0"),
                                             ("BRIEFING_GATE_THRESHOLD", "high"),
                                             ("BRIEFING_EMBED_PRECISION", "int4"),
                                             ("BRIEFING_MODEL_PATH", "/nonexistent")])
def test_invalid_setting_names_the_variable(name, value):
    result = run(["sources"], {**os.environ, name: value})
    assert result.returncode == 2
    assert name in result.stderr and "Traceback" not in result.stderr


def test_wrong_argument_is_a_usage_line():
    result = run(["ask", "-k", "99", "question"], dict(os.environ))
    assert result.returncode == 2 and "must be 1 to 10" in result.stderr


def test_undecodable_bytes_in_a_question_are_answered_not_a_traceback(env):
    result = subprocess.run([sys.executable.encode(), b"-m", b"bot", b"ask", b"Sweden \xff NATO"],
                            env=env, capture_output=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"\xc2\xb615" in result.stdout  # "¶15"


def test_undecodable_bytes_on_stdin_still_give_one_line_each(env):
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "-"], env=env,
                            input=b"Sweden NATO\n\xff\nWhy did Erdogan approve Sweden?\n",
                            capture_output=True, timeout=300, cwd=ROOT)
    assert result.returncode == 1, result.stderr  # one line could not be asked
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 3 and b"Traceback" not in result.stderr
    assert json.loads(lines[1])["error"] == "the question has no words"
    assert json.loads(lines[2])["hits"][0]["paragraphs"] == [15]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("buffered", [True, False])
@pytest.mark.parametrize("command", [["ask", "Why did Erdoğan approve Sweden?"], ["sources"]])
def test_output_that_cannot_be_written_is_one_line_and_an_error(env, buffered, command):
    # Buffered, as Python runs under most shells, the write fails at the last flush;
    # unbuffered (PYTHONUNBUFFERED=1), in the middle of the command.
    quiet = {**env, "PYTHONUNBUFFERED": "" if buffered else "1"}
    with open("/dev/full", "w") as full:  # every write fails: no space left
        result = subprocess.run([sys.executable, "-m", "bot", *command], env=quiet, cwd=ROOT,
                                timeout=300, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 120 and "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        "briefing: could not write the output: No space left on device"


NOT_PARAGRAPHS = 'line 1: "paras" must be a list of paragraph numbers (from 1), such as [4, 5]'


@pytest.mark.parametrize(("content", "says"), [
    (b'{"q": "Why Sweden?", "paras": [15]}\nnot json\n', 'line 2: not a JSON object with "q"'),
    (b'[1, 2]\n', 'line 1: not a JSON object with "q"'),
    (b'{"question": "no q key"}\n', 'line 1: not a JSON object with "q"'),
    (b'\xff\xfe\n', "not UTF-8 text (byte 0)"),
    (b"", "no questions in it"),
    (b'{"q": 5}\n', 'line 1: "q" must be text, not 5'),
    (b'{"q": "  "}\n', 'line 1: "q" has no words'),
    (b'{"q": "Why Sweden?", "paras": 15}\n', NOT_PARAGRAPHS),
    (b'{"q": "Why Sweden?", "paras": "15"}\n', NOT_PARAGRAPHS),
    (b'{"q": "Why Sweden?", "paras": [true]}\n', NOT_PARAGRAPHS),
])
def test_a_bad_question_file_is_one_line_naming_where(env, tmp_path, content, says):
    questions = tmp_path / "questions.jsonl"
    questions.write_bytes(content)
    result = run(["eval", str(questions)], env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"briefing: {questions}" + (
        ", " if says.startswith("line") else ": ") + says]


def test_a_data_set_of_the_wrong_shape_is_one_line(env, tmp_path):
    squad = tmp_path / "squad.json"
    squad.write_text("{}", encoding="utf-8")
    result = run(["eval", "--squad", str(squad)], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"briefing: {squad}: not SQuAD v1.1 JSON (KeyError: 'data')")


def test_a_question_file_may_start_with_a_byte_order_mark(env, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_bytes(b"\xef\xbb\xbf" + b'{"q": "Why did Erdogan approve Sweden?", '
                          b'"paras": [15]}\n')
    result = run(["eval", str(questions)], env)
    assert result.returncode == 0, result.stderr
    assert "recall@1: 1.0" in result.stdout


@pytest.mark.parametrize("command", [["reindex", "--corpus", ""],
                                     ["remove", "notes", "--corpus", " "]])
def test_a_blank_corpus_argument_is_refused_not_the_working_directory(tmp_path: Path, command):
    """`--corpus ""` meant the working directory: `remove notes --corpus ""` deleted
    ./notes.txt, and `reindex` served whatever text files lay there."""
    (tmp_path / "notes.txt").write_text("Shopping: bread, milk.", "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot", *command], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith("argument --corpus: is empty: give a path")
    assert (tmp_path / "notes.txt").exists() and not (tmp_path / "index").exists()


def test_a_model_folder_holding_something_else_is_one_line(tmp_path: Path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}", "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(ROOT / "corpus"),
           "BRIEFING_MODEL_PATH": str(tmp_path / "model")}
    result = run(["ask", "Why did Erdoğan approve Sweden?"], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        f"briefing: {tmp_path / 'model'} is not a usable sentence-transformers model (")


@pytest.mark.parametrize("delay", [0.3, 0.6, 1.0])
def test_ctrl_c_while_the_command_loads_is_one_line_not_a_traceback(tmp_path: Path, delay):
    """Interrupted in its first second (loading faiss, the index, the settings), `briefing`
    printed a KeyboardInterrupt traceback."""
    import signal
    import time

    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}
    # A job started in the background (`cmd &`, as CI may run) inherits SIGINT ignored; a
    # terminal's Ctrl-C reaches a process that listens, so the child listens.
    process = subprocess.Popen([sys.executable, "-m", "bot", "reindex"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay)
    done_before = process.poll() is not None  # a quiet machine reindexes 17 passages in 1 s
    process.send_signal(signal.SIGINT)
    out, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr
    # a signal landing after the reindex was done (its report printed, the process on its
    # way out) may find it exiting 0: the work it was asked for is complete
    finished = done_before or "indexed." in out
    if not finished:
        assert process.returncode in (130, -signal.SIGINT), stderr  # or before Python listened


def test_a_ctrl_c_swallowed_by_compiled_code_still_interrupts():
    """A Ctrl-C landing in Python called back from compiled code (pydantic-core building the
    settings' schema, seen in CI) printed "Exception ignored" with a traceback, and the
    command went on to finish and exit 0."""
    program = textwrap.dedent("""
        import time
        import bot.cli

        class Dropped:
            def __del__(self):  # what Python cannot raise: reported as unraisable
                raise KeyboardInterrupt

        def main(**_):
            Dropped()
            time.sleep(20)
            return 0

        bot.cli.main = main
        bot.cli.console()
    """)
    import signal  # Python raises KeyboardInterrupt only where SIGINT was not inherited ignored
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (result.returncode, result.stderr) == (130, "briefing: interrupted\n")
