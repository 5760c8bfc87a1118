# anitrakt as a container: `anitrakt serve` on 0.0.0.0:8000, data in the /data volume.
#
#   docker build -t anitrakt .
#   docker run -d -p 8000:8000 -v anitrakt-data:/data -e ANITRAKT_API_TOKEN=… anitrakt
#
# ANITRAKT_API_TOKEN is required: the app listens on every address inside the container
# and refuses to start without a token there. The base image is a build argument: any
# Debian-like image with python3 (3.11 or newer) and its venv module will do
# (scripts/container-test.sh passes a minimal Debian bookworm it builds itself).
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
WORKDIR /src
# The dependencies first, pinned by the lock, so a source change reuses this layer.
COPY pyproject.toml requirements.lock ./
RUN python3 -m venv /opt/anitrakt \
 && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt \
 && /opt/anitrakt/bin/pip install --no-cache-dir --disable-pip-version-check \
      --constraint requirements.lock --requirement /tmp/requirements.txt
COPY README.md ./
COPY src ./src
RUN /opt/anitrakt/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps . \
 && /opt/anitrakt/bin/anitrakt --version

FROM ${BASE}
COPY --from=build /opt/anitrakt /opt/anitrakt
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home anitrakt \
 && mkdir -p /data \
 && chown anitrakt:anitrakt /data
ENV PATH=/opt/anitrakt/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ANITRAKT_DATA_DIR=/data \
    ANITRAKT_HOST=0.0.0.0 \
    ANITRAKT_PORT=8000
VOLUME ["/data"]
WORKDIR /data
USER anitrakt
EXPOSE 8000
# Asks the running server's /readyz: database reachable, schema current, scheduler alive.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["anitrakt", "healthcheck"]
# serve handles SIGTERM itself (uvicorn's graceful shutdown; a running sync stops at its
# next batch), also as PID 1, so no init is needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["anitrakt"]
CMD ["serve"]
