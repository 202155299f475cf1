# One image recipe for every service and tool: the build args pick the workspace package and the
# module to run, so the seven images cannot drift apart.
FROM python:3.11-slim
ARG PACKAGE
ARG MODULE
ENV UV_PYTHON_DOWNLOADS=never PYTHONUNBUFFERED=1 HTTP_HOST=0.0.0.0
RUN pip install --no-cache-dir "uv==0.9.30"
WORKDIR /app
COPY . .
RUN uv sync --frozen --no-dev --package "${PACKAGE}" && useradd --system app
ENV PATH=/app/.venv/bin:$PATH MODULE=${MODULE}
USER app
CMD ["sh", "-c", "exec python -m \"$MODULE\""]
