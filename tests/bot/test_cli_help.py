"""`briefing … --help` says what each option takes, in the README's words and units."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import ROOT


def help_of(*command: str) -> str:
    result = subprocess.run([sys.executable, "-m", "bot", *command, "--help"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_k_names_its_range_and_the_setting_of_its_default(command):
    """`-k K … (default: top_k)`: an internal name, and no range."""
    text = help_of(command)
    assert "-k N passages to show, 1 to 10 (default: BRIEFING_TOP_K)" in text
    assert "top_k" not in text


def test_feed_add_every_says_its_unit_and_that_its_default_is_in_seconds():
    """`--every MINUTES … (default: BRIEFING_FEED_INTERVAL_S)` mixed minutes and a setting in
    seconds, and gave no range."""
    text = help_of("feed", "add")
    assert ("--every MINUTES minutes between polls, 1/60 (a second) to 10080 (7 days); "
            "0.5 is 30 seconds (default: BRIEFING_FEED_INTERVAL_S, in seconds)") in text
    assert 'comma-separated; "" clears the list' in text  # each list: said for include too


@pytest.mark.parametrize("command", [("feed", "remove"), ("feed", "pause"), ("feed", "resume")])
def test_a_feed_url_argument_says_what_it_is(command):
    assert "URL the feed's URL, as `briefing feed list` shows it" in help_of(*command)


@pytest.mark.parametrize("command", ["reindex", "remove"])
def test_corpus_takes_a_folder_named_as_the_readme_names_it(command):
    assert "--corpus DIR" in help_of(command)
