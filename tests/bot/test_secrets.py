"""The token stays out of logs and errors; the image runs as an unprivileged user."""

from __future__ import annotations

import logging
import re

from tests.bot.harness import Harness, run_scenario
from tests.support import ROOT

TOKEN = "MTIzNDU2Nzg5.secret-token-for-tests.XYZ"


def test_token_never_appears_in_any_log_record(tmp_path, seed_index, embedder, corpus_copy,
                                               caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": "Why did Erdoğan approve "
                                                                   "Sweden?"})
        await h.server.wait_for(lambda c: c.path.startswith(sent.webhook_path), timeout=20)
        await h.server.drop_gateway()  # reconnecting logs a lot at DEBUG
        await h.server.wait_connected(timeout=15)
        h.bot.index.ask = None  # the next question fails inside the command
        failing = await h.server.send_interaction("ask", {"question": "anything"})
        await h.server.wait_for(lambda c: c.path.startswith(failing.webhook_path),
                                timeout=20)

    run_scenario(scenario, workdir=tmp_path, seed_index=seed_index, embedder=embedder,
                 corpus=corpus_copy, expect_errors=True, server_options={"token": TOKEN})
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + (caplog.text if record.exc_info else "")
        assert TOKEN not in text


def test_docker_image_runs_as_an_unprivileged_user():
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "the image must switch away from root"
    uid = users[-1].split(":")[0]
    assert uid not in ("root", "0")
    entry = dockerfile[dockerfile.rindex("USER"):]
    assert "ENTRYPOINT" in entry  # the bot starts after the switch
