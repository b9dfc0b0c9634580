"""The feedback log: voters' pseudonyms and how votes are counted, in SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from bot.feedback import FeedbackLog

MEMBER = 2**63 - 1  # Discord ids need all 64 bits
PASSAGES = ["article:0-120", "article:122-300"]


def test_a_voter_is_known_by_a_keyed_pseudonym_kept_with_the_state(tmp_path, state_url):
    log = FeedbackLog(tmp_path / "feedback.sqlite", database_url=state_url)
    pseudonym = log.pseudonym(MEMBER)
    log.close()
    salted = hashlib.sha256(f"briefing-feedback:{MEMBER}".encode()).hexdigest()
    assert pseudonym not in (salted, salted[:16], str(MEMBER))  # a member list cannot match it
    assert pseudonym.isalnum() and len(pseudonym) == 16

    again = FeedbackLog(tmp_path / "feedback.sqlite", database_url=state_url)
    assert again.pseudonym(MEMBER) == pseudonym  # the key outlives a restart
    assert again.pseudonym(MEMBER - 1) != pseudonym
    again.close()
    other = FeedbackLog(tmp_path / "other.sqlite")  # another bot's state: another key
    assert other.pseudonym(MEMBER) != pseudonym
    other.close()


def test_a_member_voting_twice_on_an_answer_counts_once(tmp_path, state_url):
    log = FeedbackLog(tmp_path / "feedback.sqlite", database_url=state_url)
    log.record("Why?", PASSAGES, log.pseudonym(MEMBER), -1)
    log.record("Why?", PASSAGES, log.pseudonym(MEMBER), 1)
    log.record("Why?", PASSAGES, log.pseudonym(MEMBER - 1), 1)
    log.record("Why?", PASSAGES[:1], log.pseudonym(MEMBER), -1)  # another page: another answer
    old_style = hashlib.sha256(f"briefing-feedback:{MEMBER}".encode()).hexdigest()[:16]
    log.record("When?", PASSAGES, old_style, -1)  # a vote from before the key still counts
    tally = {(a.question, a.passages): (a.helpful, a.unhelpful) for a in log.tally()}
    log.close()
    assert tally == {("Why?", tuple(PASSAGES)): (2, 0), ("Why?", tuple(PASSAGES[:1])): (0, 1),
                     ("When?", tuple(PASSAGES)): (0, 1)}
