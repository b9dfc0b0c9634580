"""The bot process never imports PyTorch: /reindex, /add and a long /summary run on ONNX Runtime.

The other Discord tests run the bot inside pytest's process, where other tests may already have
imported PyTorch, so this one runs the fake Discord and the bot in a fresh child process
(`python -m tests.bot.test_lean_bot WORKDIR EVAL_DIR`) and reads what it reports.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT, local_pages, squad_articles

MARKER = "LEAN-BOT "
LONG = "squad-long-read"


def test_bot_never_imports_torch(tmp_path, shared_eval, embedder):
    embedder.onnx_graphs()  # built once per cache (in a child process), not timed by the child
    done = subprocess.run([sys.executable, "-m", "tests.bot.test_lean_bot", str(tmp_path),
                           str(shared_eval)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=_child_env())
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    report = json.loads(lines[-1][len(MARKER):])
    assert report["steps"] == ["reindex", "add", "summary"]
    assert report["bulk_runtime"] == "onnx" and report["bulk_precision"] == "int8"
    assert report["summary_sentences_embedded"] > 64  # the long summary took the bulk path
    assert report["torch_after"] == {"reindex": False, "add": False, "summary": False}
    assert "torch" not in report["modules"] and "sentence_transformers" not in report["modules"]


def _child_env() -> dict[str, str]:
    import os

    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _write_corpus(corpus: Path, eval_dir: Path) -> None:
    shutil.copytree(ROOT / "corpus", corpus)
    for name, text in squad_articles(eval_dir, 3).items():
        (corpus / f"{name}.md").write_text(text, "utf-8")
    # One long article (more than 64 sentences): its summary embeds on the bulk path.
    long_parts = [text.split("---", 2)[2] for text in squad_articles(eval_dir, 4, offset=10,
                                                                     paragraphs=6).values()]
    (corpus / f"{LONG}.md").write_text("---\ntitle: A long read\n---\n\n" + "\n\n".join(
        p.strip() for p in long_parts), "utf-8")


def _child(workdir: Path, eval_dir: Path) -> None:
    """The child process: fake Discord + the real bot, three admin commands, then a report."""
    from aiohttp import web

    from index import BriefingIndex
    from index.ingest.embedding import Embedder
    from tests.bot.harness import Harness, answer_of, run_scenario
    from tests.bot.test_discord_admin import PAGE

    corpus = workdir / "corpus"
    _write_corpus(corpus, eval_dir)
    embedder = Embedder()
    seed = BriefingIndex(workdir / "seed-index", embedder=embedder)
    seed.reindex(ROOT / "corpus")  # the bundled article only; /reindex adds the rest
    report: dict = {"steps": [], "torch_after": {}}
    counted = {"summary": 0}
    original_embed = embedder.embed

    def counting_embed(texts, progress=None):
        counted["summary"] = max(counted["summary"], len(texts))
        return original_embed(texts, progress)

    def step(name: str) -> None:
        report["steps"].append(name)
        report["torch_after"][name] = "torch" in sys.modules

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(
            lambda c: c.method == "PATCH" and c.path == sent.original_path
            and c.json.get("content", "").startswith("Reindex done"), timeout=300)
        step("reindex")

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=PAGE, content_type="text/html")

        async with local_pages({"/news/grain.html": page}) as base:
            sent = await h.server.send_interaction("add", {"url": f"{base}/news/grain.html"},
                                                   user="admin")
            done = await answer_of(h.server, sent, timeout=120)
        assert done["content"].startswith("Added"), done["content"]
        step("add")

        embedder.embed = counting_embed  # type: ignore[method-assign]
        counted["summary"] = 0
        sent = await h.server.send_interaction("summary", {"article": LONG, "sentences": 5})
        reply = await answer_of(h.server, sent, timeout=120)
        assert reply["embeds"], reply
        step("summary")
        await asyncio.sleep(0)

    run_scenario(scenario, workdir=workdir, seed_index=seed, embedder=embedder, corpus=corpus)
    report["summary_sentences_embedded"] = counted["summary"]
    report["bulk_runtime"] = embedder.bulk_runtime
    report["bulk_precision"] = embedder.bulk_precision
    report["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in {
        "torch", "sentence_transformers", "transformers"})
    print(MARKER + json.dumps(report), flush=True)


if __name__ == "__main__":
    _child(Path(sys.argv[1]), Path(sys.argv[2]))
