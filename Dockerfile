# syntax=docker/dockerfile:1
# The bot as a container: `docker build -t claude-slack .`; running and deploying: docs/deploy.md.
# Dependencies come from requirements.lock only (exact versions, checked hashes); the project
# itself is installed without them, so nothing unpinned gets in.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The lock alone first: this layer is rebuilt only when the lock changes, not on every code edit.
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 --user-group bot \
    && mkdir /data && chown bot:bot /data
COPY --from=builder /opt/venv /opt/venv
USER bot
# The default DATABASE_URL (sqlite …/./bot.db) lands here: mount a volume on /data to keep it.
WORKDIR /data
EXPOSE 3000
# slim has no curl; the venv's Python asks the bot itself, on whatever PORT it was given.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz\", timeout=4)"]
CMD ["bot", "serve"]
