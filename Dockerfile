# The clinic bot in a container: `docker compose up` runs it with PostgreSQL
# (see docker-compose.yml and the README's "Docker").
# Pinned by tag and by the digest of its multi-platform index, so a rebuild gets the same
# base; bump both together (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`
# prints the digest).
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY clinic ./clinic
COPY db ./db
COPY handlers ./handlers
# The versions the tests ran with (constraints.txt, see the README's "Dependencies").
RUN pip install -c constraints.txt . && rm -rf /src

# No root at run time; the working folder holds a SQLite file if DATABASE_URL is unset.
RUN useradd --system --create-home --home-dir /var/lib/clinic-bot clinic
USER clinic
WORKDIR /var/lib/clinic-bot

# Only used with `run --webhook` (WEBHOOK_PORT).
EXPOSE 8080
ENTRYPOINT ["clinic-bot"]
CMD ["run"]
