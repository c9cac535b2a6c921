# One image for every service of docker-compose.yml: api (the default command), migrate,
# worker, beat, flower and platform-sim differ only in the command they run.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 reconcile \
    && useradd --system --uid 10001 --gid reconcile --home-dir /app \
       --no-create-home --shell /usr/sbin/nologin reconcile

# The pinned dependencies first, in a layer of their own: a change to the code reuses it
# instead of installing everything again.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# Then the project itself. A production install: no dev extras, not editable, and no
# dependency beyond the lock (--no-deps).
COPY pyproject.toml README.md LICENSE celeryconfig.py ./
COPY reconcile/ reconcile/
COPY api/ api/
COPY tasks/ tasks/
COPY migrations/ migrations/
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && mkdir -p /app/var \
    && chown reconcile:reconcile /app/var

USER reconcile

EXPOSE 8000

# No curl in slim images: probe with the Python standard library.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "api:create_app()"]
