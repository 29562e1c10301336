# The hosted app: CPU-only torch, data fetched and verified at build time, served as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

# A compiler for llama-cpp-python, which builds from source; curl for the health check.
# Debian security updates replace exact versions, so apt packages follow the base image's release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake curl make \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 app
WORKDIR /app

COPY requirements.txt .
# CPU wheels of torch/torchvision first, so the pins in requirements.txt are already satisfied.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.14.1 torchvision==0.29.1 \
    && pip install -r requirements.txt

COPY --chown=app:app . .
USER 1000:1000
RUN python -m src.core.data fetch
# the RAG index, the injection classifier's vectors and the MLflow store, so the first visitors don't build them
RUN python -m src.warm

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "--fail", "--silent", "http://localhost:8501/_stcore/health"]
CMD ["streamlit", "run", "Home.py", "--server.address=0.0.0.0", "--server.port=8501"]
