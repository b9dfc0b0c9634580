"""Untrusted article text shown in a terminal can neither run escapes nor forge lines."""

import os
import subprocess
import sys

from bot.terminal import shown
from tests.support import ROOT

HOSTILE = "Sweden\x1b[2J\x1b]8;;https://evil\x07 NATO\u202egnp.exe\nforged line\r\x00end"


def test_shown_removes_escapes_bidi_overrides_and_line_breaks():
    text = shown(HOSTILE)
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "\u202e" not in text and "\n" not in text and "\r" not in text
    assert text.startswith("Sweden") and "NATO" in text and "forged line" in text


def test_shown_keeps_ordinary_unicode():
    assert shown("Erdoğan · Türkiye — “quoted” ¶15") == "Erdoğan · Türkiye — “quoted” ¶15"


def test_sources_and_answers_from_a_hostile_article_stay_on_their_lines(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    hostile = HOSTILE.replace("\x00", "")  # a NUL byte would make the file "binary", skipped
    (corpus / "evil.md").write_text(
        f"---\ntitle: \"{hostile.encode('unicode_escape').decode()}\"\n---\n\n"
        f"Sweden joined NATO after Turkey approved. {hostile} The vote passed.\n", "utf-8")
    env = {**os.environ, "BRIEFING_CORPUS_DIR": str(corpus),
           "BRIEFING_INDEX_DIR": str(tmp_path / "index")}
    for args in (["reindex"], ["sources"], ["ask", "Sweden NATO vote"]):
        result = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out, args
        assert not any(line.startswith("forged line") for line in out.splitlines()), out
    sources = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=300).stdout
    assert len(sources.strip().splitlines()) == 1 and sources.startswith("evil: Sweden")
