"""Discord misbehaving: dropped gateway, 429s and 500s — the bot recovers and answers once."""

from __future__ import annotations

import pytest

from tests.bot.harness import Harness

SWEDEN = "Why did Erdoğan approve Sweden?"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"


def delivered(server, method: str, path: str) -> list:
    return [c for c in server.calls if c.method == method and c.path == path and c.status == 200]


async def ask_and_wait(h: Harness):
    sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
    await h.server.wait_for(lambda c: c.path == sent.webhook_path and c.status == 200,
                            timeout=30)
    return sent


def test_dropped_gateway_is_resumed_and_questions_still_answered(run):
    async def scenario(h: Harness) -> None:
        await h.server.drop_gateway()
        await h.server.wait_connected(timeout=15)
        sent = await ask_and_wait(h)
        assert len(delivered(h.server, "POST", sent.webhook_path)) == 1
        assert h.server.resumes or len(h.server.identifies) == 2

    run(scenario)


@pytest.mark.parametrize(("route", "status"), [(CALLBACK, 429), (FOLLOWUP, 429),
                                               (FOLLOWUP, 500)])
def test_rate_limits_and_server_errors_are_retried_and_answered_once(run, route, status):
    async def scenario(h: Harness) -> None:
        h.server.fail_next("POST", route, status=status, retry_after=0.2)
        sent = await ask_and_wait(h)
        failed = [c for c in h.server.calls if c.status == status]
        assert len(failed) == 1
        assert len(delivered(h.server, "POST", sent.callback_path)) == 1
        assert len(delivered(h.server, "POST", sent.webhook_path)) == 1

    run(scenario)
