# The inspection bot as a container: `docker build -t inspection-bot .`
#
#   docker run -p 3978:3978 \
#     -e MicrosoftAppId=... -e MicrosoftAppPassword=... -e MicrosoftAppTenantId=... \
#     -e MicrosoftAppType=SingleTenant \
#     -e DATABASE_URL=postgresql://bot:...@db.example.internal/inspection_bot \
#     -e GRAPH_TEAM_ID=... inspection-bot
#
# Secrets come from the environment (or the platform's secret store mapped into it), never
# from the image. See docs/deploy.md.

# --- build: install the project and its dependencies into a virtual environment -------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the installed package needs (tests, benchmarks and local tooling stay out).
COPY pyproject.toml README.md ./
COPY settings.py logsetup.py metrics.py jsonbody.py ./
COPY app/ app/
COPY inspection ./inspection
COPY store ./store
COPY bot ./bot
COPY dialogs ./dialogs
COPY graph ./graph
COPY scheduler ./scheduler
COPY cli ./cli
RUN pip install --upgrade pip \
    && pip install . \
    && python -m compileall -q /opt/venv/lib

# --- run: a slim image, an unprivileged user, nothing but the virtual environment -----------
FROM python:3.11-slim

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data \
    && chown -R bot:bot /app

COPY --from=build /opt/venv /opt/venv
# The Teams app package (manifest and icons), where `inspection-bot package-app` looks for it.
COPY appPackage /opt/venv/lib/python3.11/site-packages/appPackage

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    LOG_FORMAT=json

WORKDIR /app
USER bot
EXPOSE 3978

# Liveness: the process answers and its database is reachable (GET /healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"]

# `serve` migrates the database to the latest schema on start, then listens on HOST:PORT.
CMD ["inspection-bot", "serve"]
