"""Starting `briefing bot`: a refused token is one clear line, and every log line shows once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from index.store.snapshot import current_generation
from tests.fake_discord import FakeDiscord
from tests.support import ROOT, squad_articles

WRONG_TOKEN = "MTIz.wrong-token-for-tests.XYZ"

# The real `briefing bot` start path, minus loading the model (this is about connecting).
START_BOT = """
import logging, sys
from bot.app import BriefingBot
from bot.cli import main
BriefingBot.warm_up = lambda self: logging.getLogger("bot.app").info("warmed up")
sys.exit(main(["bot"]))
"""


class RefusedAtTheGateway(FakeDiscord):
    """REST accepts any token, so the bot logs in; the gateway then refuses it (close 4004),
    as Discord does when a token is reset while the bot starts."""

    def _check_auth(self, call: object) -> None:
        return None


@contextmanager
def serving(server: FakeDiscord) -> Iterator[FakeDiscord]:
    """`server` listening from a thread of its own, while the test runs the bot."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def bot_env(workdir: Path, **values: str) -> dict[str, str]:
    """The environment of a `briefing bot` whose files all live in `workdir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_SECRETS_DIR="/nonexistent", BRIEFING_CORPUS_DIR=str(workdir / "corpus"),
               BRIEFING_INDEX_DIR=str(workdir / "index"),
               BRIEFING_FEEDBACK_DB=str(workdir / "feedback.sqlite"),
               BRIEFING_SCHEDULES_DB=str(workdir / "schedules.sqlite"), **values)
    return env


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> subprocess.CompletedProcess:
    """`briefing bot` run against a Discord whose gateway refuses the token."""
    workdir = tmp_path_factory.mktemp("refused")
    with serving(RefusedAtTheGateway()) as server:
        env = bot_env(workdir, BRIEFING_DISCORD_TOKEN=WRONG_TOKEN,
                      BRIEFING_DISCORD_API_BASE=server.api_base,
                      BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url)
        result = subprocess.run([sys.executable, "-c", START_BOT], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert server.identifies, "the bot never reached the gateway: the test proves nothing"
    return result


def test_a_token_refused_at_the_gateway_is_one_clear_line(refused):
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        "briefing: Discord refused the token (BRIEFING_DISCORD_TOKEN)")
    assert WRONG_TOKEN not in refused.stderr + refused.stdout


def test_every_log_line_is_printed_once(refused):
    lines = refused.stderr.splitlines()
    assert sum("warmed up" in line for line in lines) == 1
    assert len(lines) == len(set(lines)), refused.stderr


@pytest.mark.parametrize("token", ["abc\ndef-secret", "abc def-secret", "abc\x1bdef-secret"])
def test_a_token_with_whitespace_inside_is_refused_in_one_line_without_showing_it(tmp_path,
                                                                                  token):
    env = bot_env(tmp_path, BRIEFING_DISCORD_TOKEN=token,
                  BRIEFING_DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
    result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("briefing: invalid setting BRIEFING_DISCORD_TOKEN: ")
    assert "secret" not in line and "abc" not in line


def test_a_first_index_that_cannot_be_written_ends_the_start_in_one_true_line(tmp_path):
    """It said "…; the previous index, if any, still answers" and exited: nothing answered."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.md").write_text("# Harbour\n\nThe harbour closed in July.\n")
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / ".reindex.lock").mkdir()  # the writer lock cannot be opened: like no rights
    with serving(FakeDiscord()) as server:
        env = bot_env(tmp_path, BRIEFING_DISCORD_TOKEN=server.token,
                      BRIEFING_DISCORD_API_BASE=server.api_base,
                      BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url,
                      BRIEFING_CONVERSATIONS_DB=str(tmp_path / "c.sqlite"),
                      BRIEFING_FEEDS_DB=str(tmp_path / "f.sqlite"))
        result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("briefing: the first index could not be built: "), result.stderr
    assert "still answers" not in last


def test_the_health_file_is_touched_and_a_bad_one_is_said_once(run, tmp_path, caplog):
    """A health file that cannot be written gave a traceback every 30 s."""
    good, bad = tmp_path / "health" / "ok", tmp_path / "a-file" / "health"
    (tmp_path / "a-file").write_text("")  # a file where the folder should be

    async def scenario(h) -> None:
        for path in (good, bad):
            h.bot.settings.health_file = path
            for _ in range(3):
                await h.bot.report_health()

    run(scenario, health_file=good)
    assert good.is_file()
    said = [r.getMessage() for r in caplog.records if "health file" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"cannot write the health file {bad} (")


def test_the_health_check_reads_the_health_file_from_dot_env_as_the_bot_does(tmp_path):
    """Configured through .env (as the README allows), the probe said the variable was not
    set: a bot outside Docker was unhealthy for good."""
    health = tmp_path / "alive"
    (tmp_path / ".env").write_text(f"BRIEFING_HEALTH_FILE={health}\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_HEALTH_FILE"}
    env["PYTHONPATH"] = str(ROOT)

    def probe() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.health"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    stale = probe()
    assert stale.returncode == 1 and f"unhealthy: {health} is missing" in stale.stdout
    health.touch()
    fresh = probe()
    assert fresh.returncode == 0 and fresh.stdout.strip() == "healthy"


def test_sigterm_during_a_reindex_says_so_in_its_progress_message(tmp_path, corpus_copy,
                                                                  seed_index, shared_eval):
    """The admin's "Embedding…" message was left as it was, for good, when the bot stopped."""
    for name, text in squad_articles(shared_eval, 30, offset=20).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    shutil.copytree(seed_index.backend.index_dir, tmp_path / "index")
    before = current_generation(tmp_path / "index")

    async def scenario() -> tuple[FakeDiscord, str, int, str]:
        async with FakeDiscord() as server:
            env = bot_env(tmp_path, BRIEFING_DISCORD_TOKEN=server.token,
                          BRIEFING_DISCORD_API_BASE=server.api_base,
                          BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url,
                          BRIEFING_GUILD_IDS=str(server.guild_id),
                          BRIEFING_CONVERSATIONS_DB=str(tmp_path / "c.sqlite"),
                          BRIEFING_FEEDS_DB=str(tmp_path / "f.sqlite"))
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "bot", env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                await server.wait_for(lambda c: c.method == "PUT"
                                      and c.path.endswith("/commands"), timeout=120)
                await server.wait_connected()
                sent = await server.send_interaction("reindex", user="admin")
                await server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                      sent.original_path and "Embedding" in c.json["content"],
                                      timeout=60)
                process.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(process.communicate(), 20)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            return server, sent.original_id, process.returncode, stderr.decode()

    server, message_id, status, stderr = asyncio.run(scenario())
    assert status == 0 and "Traceback" not in stderr and "ERROR" not in stderr, stderr
    assert server.messages[message_id]["content"] == (
        "Reindex stopped: the bot is shutting down. The previous index is kept.")
    assert current_generation(tmp_path / "index") == before


def _started(server: FakeDiscord, process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the bot has synced its commands (it is up and answering)."""
    deadline = time.monotonic() + timeout
    while not any(c.method == "PUT" and c.path.endswith("/commands") for c in server.calls):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the bot did not come up"
        time.sleep(0.2)


@pytest.mark.parametrize("as_init", [False, True], ids=["process", "container-pid-1"])
def test_sigterm_stops_the_bot_at_once_and_cleanly(tmp_path, corpus_copy, as_init):
    """`docker stop` sends SIGTERM to the image's entry point, `briefing bot`, which runs as
    PID 1 there: with no handler the kernel ignored it, and Docker killed the bot 10 s later
    (an answer being posted lost its stored turn); a plain process died without closing."""
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] if as_init else []
    if as_init and (os.geteuid() != 0 or shutil.which("unshare") is None):
        pytest.skip("a PID namespace needs root and unshare")
    with serving(FakeDiscord()) as server:
        env = bot_env(tmp_path, BRIEFING_DISCORD_TOKEN=server.token,
                      BRIEFING_DISCORD_API_BASE=server.api_base,
                      BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url,
                      BRIEFING_CONVERSATIONS_DB=str(tmp_path / "c.sqlite"),
                      BRIEFING_FEEDS_DB=str(tmp_path / "f.sqlite"))
        process = subprocess.Popen([*prefix, sys.executable, "-m", "bot", "bot"], env=env,
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            _started(server, process)
            bot_pid = process.pid
            if as_init:  # unshare's child is the bot, PID 1 of its namespace
                bot_pid = int(subprocess.run(["pgrep", "-P", str(process.pid)], text=True,
                                             capture_output=True).stdout.split()[0])
            os.kill(bot_pid, signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
