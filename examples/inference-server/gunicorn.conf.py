"""gunicorn for the example inference server: threaded workers (gthread), same app as under uWSGI.

Run from this directory: python3 -m gunicorn -c gunicorn.conf.py app:app
Settings (environment variables): INFERENCE_BIND (default 127.0.0.1:8000), INFERENCE_WORKERS
(default the CPU count), INFERENCE_THREADS (threads per worker, default 4), plus the app's own.
With threads, one worker serves several connections at once, so fresh connections do not spread
over every worker: warmup needs the app's worker header to see coverage.
"""
import os

bind = os.environ.get("INFERENCE_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("INFERENCE_WORKERS") or os.cpu_count() or 1)
threads = int(os.environ.get("INFERENCE_THREADS", "4"))
# The app reads the worker count for /ready; the workers inherit the master's environment.
os.environ["INFERENCE_WORKERS"] = str(workers)
# Each worker imports the app after the fork and so loads its own model (MODEL_LOAD=start): a
# preloaded app would load once in the master, and a framework that is not fork-safe breaks.
preload_app = False
# A replaced worker starts cold; never recycle workers by request count.
max_requests = 0
timeout = 120
graceful_timeout = 30
backlog = 1024


def post_worker_init(worker):
    # After the app's import in this worker: the moment it accepts requests (tests wait for it).
    worker.log.info("Worker ready (pid: %s)", worker.pid)
