"""Paths, small real data and a local web server the tests share."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def squad_articles(shared_eval: Path, count: int, offset: int = 0,
                   paragraphs: int = 8) -> dict[str, str]:
    """Small real articles (name -> Markdown) made from SQuAD paragraphs, for temp corpora."""
    data = json.loads((shared_eval / "squad-v1.1-dev" / "dev-v1.1.json").read_text("utf-8"))
    articles = {}
    for entry in data["data"][offset:offset + count]:
        texts = [p["context"].strip() for p in entry["paragraphs"][:paragraphs]]
        articles[f"squad-{entry['title'].lower()}"] = (
            f"---\ntitle: {entry['title'].replace('_', ' ')}\n---\n\n" + "\n\n".join(texts))
    return articles


@asynccontextmanager
async def local_pages(routes: Mapping[str, Callable[[web.Request], Awaitable[web.StreamResponse]
                                                    | web.StreamResponse]]
                      ) -> AsyncIterator[str]:
    """Serve GET `routes` (path -> aiohttp handler) on 127.0.0.1 for the block; yields the
    base URL ("http://127.0.0.1:PORT"). Loopback only: tests never reach another address."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
