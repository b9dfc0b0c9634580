"""A running `briefing bot` against the local fake Discord: memory and defer time under a reindex.

The fake Discord server (`tests/fake_discord`, the one the end-to-end tests use) runs in this
process; the bot is the real `briefing bot` command in a child process, configured only through
`BRIEFING_*` variables. It starts on an index of the bundled corpus, then an admin sends
/reindex of the benchmark's real corpus; while it embeds, 100 /ask arrive at once. Measured:
each interaction's time to its first callback (the defer), every answer, the bot's peak RSS
(VmHWM) after the reindex and the questions, and whether PyTorch's library was ever mapped.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from benchmarks.coldstart import briefing_command
from benchmarks.timing import latency_summary

ASKS = 100


def measure_bot(root: Path, corpus_dir: Path, work_dir: Path, questions: Sequence[str]) -> dict:
    """Run the scenario; returns peak RSS, defer latency and what the bot loaded."""
    return asyncio.run(_measure(root, corpus_dir, work_dir, list(questions)[:ASKS]))


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _maps_torch(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    return "libtorch" in maps


async def _measure(root: Path, corpus_dir: Path, work_dir: Path, questions: list[str]) -> dict:
    from tests.fake_discord import FakeDiscord

    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    index_dir = work_dir / "index"
    env_base = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "BRIEFING_INDEX_DIR": str(index_dir), "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    command = briefing_command()
    subprocess.run([*command, "reindex"], env={**env_base, "BRIEFING_CORPUS_DIR": str(
        root / "corpus")}, cwd=work_dir, check=True, capture_output=True, timeout=600)
    async with FakeDiscord() as server:
        env = {**env_base, "BRIEFING_CORPUS_DIR": str(corpus_dir),
               "BRIEFING_DISCORD_TOKEN": server.token,
               "BRIEFING_DISCORD_API_BASE": server.api_base,
               "BRIEFING_DISCORD_GATEWAY_URL": server.gateway_url,
               "BRIEFING_GUILD_IDS": json.dumps([int(server.guild_id)]),
               "BRIEFING_ASK_PER_MINUTE": "0",
               **{f"BRIEFING_{name.upper()}_DB": str(work_dir / f"{name}.sqlite")
                  for name in ("feedback", "schedules", "conversations", "feeds")}}
        log = (work_dir / "bot.log").open("w", encoding="utf-8")
        bot = subprocess.Popen([*command, "bot"], env=env, cwd=work_dir, stdout=log,
                               stderr=subprocess.STDOUT)
        try:
            await server.wait_for(lambda c: c.method == "PUT" and "commands" in c.path,
                                  timeout=180)
            await asyncio.sleep(1.0)
            rss_ready_mb = round(_status_kb(bot.pid, "VmHWM") / 1024, 1)
            reindex = await server.send_interaction("reindex", user="admin")
            await server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                  reindex.original_path and "Embedding" in c.json.get(
                                      "content", ""), timeout=180)
            asks = []
            for question in questions:
                asks.append(await server.send_interaction("ask", {"question": question[:300]}))
                # A websocket write that fits the buffer does not suspend: without this the
                # fake Discord would handle no callback before all 100 went out, and stamp
                # each defer late by the whole burst (Discord receives while it sends).
                await asyncio.sleep(0)
            callbacks = [await server.wait_for(lambda c, s=sent: c.path == s.callback_path,
                                               timeout=120) for sent in asks]
            defers = [c.time - s.created for c, s in zip(callbacks, asks, strict=True)]
            burst = {"sending_ms": round(1000 * (asks[-1].created - asks[0].created), 1),
                     "first_callback_ms": round(1000 * (min(c.time for c in callbacks)
                                                        - asks[0].created), 1),
                     "last_callback_ms": round(1000 * (max(c.time for c in callbacks)
                                                       - asks[0].created), 1)}
            still_running = not _reindex_done(server, reindex)
            answered = 0
            for sent in asks:
                await server.wait_for(lambda c, s=sent: c.status == 200 and (
                    (c.method == "PATCH" and c.path == s.original_path)
                    or (c.method == "POST" and c.path == s.webhook_path)), timeout=300)
                answered += 1
            await server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                  reindex.original_path and c.json.get(
                                      "content", "").startswith("Reindex done"), timeout=900)
            done = [c.json.get("content", "") for c in server.calls if c.method == "PATCH"
                    and c.path == reindex.original_path][-1]
            return {"rss_after_reindex_mb": round(_status_kb(bot.pid, "VmHWM") / 1024, 1),
                    "rss_current_mb": round(_status_kb(bot.pid, "VmRSS") / 1024, 1),
                    "rss_ready_mb": rss_ready_mb, "torch_mapped": _maps_torch(bot.pid),
                    "defer": latency_summary(defers), "burst": burst, "asks": len(asks),
                    "answered": answered, "reindex_running_during_asks": still_running,
                    "reindex_result": done}
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
            log.close()


def _reindex_done(server, reindex) -> bool:
    return any(c.json.get("content", "").startswith("Reindex done") for c in server.calls
               if c.method == "PATCH" and c.path == reindex.original_path)
