# Tactful API image. The service itself needs no compiler; build tools stay in a
# builder stage so that `pip install -e '.[local]'` (the opt-in embedded model,
# llama-cpp-python compiled from source) can be added there without bloating runtime.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
# Editable install: prompts/ and evals/ are data files read from the source tree.
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --upgrade pip \
    && /venv/bin/pip install --no-cache-dir -e .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tactful
COPY --from=build /venv /venv
WORKDIR /app
COPY --from=build /app /app
COPY prompts ./prompts
COPY evals ./evals
# The playground serves the extension's shared scripts from the source tree.
COPY extension/lib ./extension/lib
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1
USER tactful
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live').status != 200)"
# Binding beyond loopback requires API keys (REDIS_URL + `tactful keys create`).
CMD ["tactful", "serve", "--host", "0.0.0.0", "--port", "8000"]
