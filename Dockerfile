# quant-mcp: the MCP server for the Quant AI API.
#
#   stdio (what desktop clients launch):
#     docker run -i --rm -e QUANT_API_TOKEN=... -e QUANT_ORGANIZATION=... quant-mcp
#   Streamable HTTP (a service; non-loopback needs inbound auth):
#     docker run --rm -p 8000:8000 -e QUANT_API_TOKEN=... -e QUANT_ORGANIZATION=... \
#       -e QUANT_HTTP_AUTH=static -e QUANT_HTTP_TOKENS=... \
#       quant-mcp serve --transport http --host 0.0.0.0 --stateless

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the package and its dependencies into a virtualenv
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/quant-mcp
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY quant_mcp ./quant_mcp
# Byte-code stays compiled (stdio servers start often; the root FS may be read-only), pip goes.
RUN /opt/quant-mcp/bin/pip install . \
    && /opt/quant-mcp/bin/pip uninstall --yes pip

# ---- runtime: the virtualenv on a clean slim base, as an unprivileged user
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="quant-mcp" \
      org.opencontainers.image.description="MCP server for the Quant AI API (stdio or Streamable HTTP)" \
      org.opencontainers.image.source="https://github.com/quantcdn/quant-mcp" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/quant-mcp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=build /opt/quant-mcp /opt/quant-mcp
COPY manifests/docker/healthcheck.py /usr/local/bin/quant-mcp-healthcheck
RUN groupadd --system --gid 10001 quant \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin quant
USER 10001:10001
EXPOSE 8000
# HTTP mode: GET /healthz on the served port. stdio mode has nothing to probe and reports healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "/usr/local/bin/quant-mcp-healthcheck"]
ENTRYPOINT ["quant-mcp"]
CMD ["serve"]
