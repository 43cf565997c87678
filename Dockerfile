# The yujing image: one image for `yujing worker`, `yujing board` and `yujing simulate` (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY yujing ./yujing
COPY streams ./streams
COPY detectors ./detectors
COPY alerts ./alerts
COPY dashboard ./dashboard
RUN pip install . \
 && useradd --create-home --uid 10001 yujing \
 && mkdir -p /data && chown yujing /data

USER yujing
EXPOSE 8501 9108
CMD ["yujing", "--help"]
