# Build the wheel in a throwaway stage, so the image holds the installed package only (no source
# tree in the working directory that would shadow it).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY sql ./sql
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MAB_HOST=0.0.0.0 \
    MAB_PORT=8000
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 mab \
    && useradd --system --no-log-init --create-home --uid 10001 --gid mab mab
WORKDIR /app
COPY gunicorn.conf.py ./
# Numeric, so runtimes that check runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# No curl in the slim image: probe /readyz (database reachable and migrated) with the stdlib;
# urlopen raises on a 503 or a refused connection, so the exit status is non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('MAB_PORT', '8000') + '/readyz', timeout=4)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"]
