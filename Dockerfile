# MUS-bot: a slim, non-root image. Build: docker build -t musbot .
# Not built in this project's CI (it is linted there with hadolint); see docs/deploy.md.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY conversations ./conversations
COPY storage ./storage
RUN python -m venv /opt/musbot \
    && /opt/musbot/bin/pip install --no-compile -c constraints.txt .

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="MUS-bot" \
      org.opencontainers.image.description="The Danish MUS process in Slack and Microsoft Teams" \
      org.opencontainers.image.licenses="MIT"
# fonts-dejavu-core: the plan PDF's Unicode font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 musbot \
    && useradd --system --create-home --home-dir /var/lib/musbot --uid 10001 --gid 10001 musbot \
    && install -d -o musbot -g musbot -m 700 /var/lib/musbot/backups
COPY --from=build /opt/musbot /opt/musbot
ENV PATH=/opt/musbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MUSBOT_HOST=0.0.0.0 \
    MUSBOT_PORT=3978 \
    MUSBOT_DATABASE_URL=sqlite:////var/lib/musbot/musbot.db \
    MUSBOT_WEB_CHAT=false
USER 10001:10001
WORKDIR /var/lib/musbot
VOLUME ["/var/lib/musbot"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('MUSBOT_PORT', '3978'), timeout=4)"]
CMD ["musbot", "run"]
