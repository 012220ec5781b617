# The clinic bot in a container: `docker compose up` runs it with PostgreSQL
# (see docker-compose.yml and the README's "Run it with Docker").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY clinic ./clinic
COPY db ./db
COPY handlers ./handlers
RUN pip install . && rm -rf /src

# No root at run time; the working folder holds a SQLite file if DATABASE_URL is unset.
RUN useradd --system --create-home --home-dir /var/lib/clinic-bot clinic
USER clinic
WORKDIR /var/lib/clinic-bot

# Only used with `run --webhook` (WEBHOOK_PORT).
EXPOSE 8080
ENTRYPOINT ["clinic-bot"]
CMD ["run"]
