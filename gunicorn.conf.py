"""Gunicorn settings for `gunicorn -c gunicorn.conf.py "service:create_app()"`.

Read from the same MAB_* variables (and defaults) as service/config.py, so `mab serve` and a
plain gunicorn listen alike. The container image sets MAB_HOST=0.0.0.0.
"""

import os

bind = f"{os.environ.get('MAB_HOST') or '127.0.0.1'}:{os.environ.get('MAB_PORT') or '8000'}"
workers = int(os.environ.get("MAB_WORKERS") or 2)

# Each worker builds its own app and so opens its own connection pool; a pool opened in the
# master before fork would share sockets between processes.
preload_app = False

# Longest request a worker may take before it is restarted; statements are capped at 30 s
# (MAB_STATEMENT_TIMEOUT_MS), so this leaves room for a slow one to finish and report.
timeout = 60
# On SIGTERM, in-flight requests get this long; below Docker's stop grace period (see compose).
graceful_timeout = 10
keepalive = 5

# Logs to stdout/stderr, where container runtimes collect them.
accesslog = "-"
errorlog = "-"
loglevel = (os.environ.get("MAB_LOG_LEVEL") or "info").lower()

# The worker heartbeat file on a container's overlay filesystem can stall workers; use memory.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
