# paperboy in a container: `docker build -t paperboy . && docker run -v paperboy-data:/data paperboy`
# The database (and an optional config.toml) live in the /data volume; secrets come in as environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 paperboy \
    && mkdir /data && chown paperboy:paperboy /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# with PostgreSQL's driver, so that one image serves both backends (database.url selects PostgreSQL)
RUN pip install '.[postgres]'

USER paperboy
WORKDIR /data
VOLUME ["/data"]
# Slack in HTTP mode (a signing secret and no app token) listens here; Socket Mode needs no port
EXPOSE 3000

# /healthz on 8080 (inside the container only, unless published): 200 while the database answers and the
# sources fetch on time; the first fetch may take a while, hence the start period
HEALTHCHECK --interval=1m --timeout=10s --start-period=2m --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8).status == 200 else 1)"]

# SIGTERM (docker stop) lets paperboy finish the day it is writing and close the database
STOPSIGNAL SIGTERM
ENTRYPOINT ["paperboy"]
CMD ["run", "--health-port", "8080"]
