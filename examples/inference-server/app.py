"""Example inference server: a small deterministic model that is expensive to load.

Each worker process (uWSGI lazy-apps, or gunicorn without preload) holds its own copy of the model,
as real ML servers do, and its first inference is slower than the rest. Every response names the
worker that answered, so tests, benchmarks and the warmup function can count distinct workers.

Endpoints:
  GET  /health   liveness: 200 as soon as the worker runs, model or not.
  GET  /ready    readiness: 200 only when EVERY worker of the server has its model loaded, else 503
                 with Retry-After. Load balancer and container health checks use this one.
  POST /predict  one inference.

Settings (environment variables):
  MODEL_LOAD                     "start" (default): each worker loads its model as soon as it starts,
                                 in a background thread, so /ready and /health answer while it loads
                                 and /predict answers 503 with Retry-After until the model is in.
                                 "first-request": the worker loads on its first /predict (that request
                                 waits); kept for warmup tests of servers that load lazily.
  MODEL_PATH                     model file to read (the weights' seed comes from its bytes); unset:
                                 a built-in seed, nothing read from disk.
  MODEL_LOAD_SECONDS             minimum wall time of a model load (default 2.0). Weights are built
                                 with real computation; the rest of the time is spent waiting, like
                                 reading weights from disk, so many workers load in parallel even on a
                                 small test machine.
  MODEL_FIRST_INFERENCE_SECONDS  extra time of each worker's first inference (default 0.3), paid in
                                 either mode: this is what warmup warms.
  MODEL_SIZE                     width of the network's layers (default 64)
  MODEL_LOADED_DIR               directory where each worker writes a file named by its pid once its
                                 model is loaded; /ready counts the files of live workers. Must be
                                 shared by the workers of one server and by nothing else (default: a
                                 directory in the temp dir named by the server's master pid).
  INFERENCE_WORKERS              workers /ready expects (under uWSGI its process count wins; default
                                 the CPU count, the servers' own default).
  WORKER_ID_HEADER               response header naming the worker (default X-Worker-Id; empty: none).
                                 Its value, <hostname>-<pid>, is unique per worker process.
"""
import hashlib
import json
import math
import os
import random
import socket
import tempfile
import threading
import time

from flask import Flask, Response, request

app = Flask(__name__)

LOAD_MODE = os.environ.get("MODEL_LOAD", "start")
if LOAD_MODE not in ("start", "first-request"):
    raise RuntimeError(f"MODEL_LOAD must be 'start' or 'first-request', not {LOAD_MODE!r}")
MODEL_PATH = os.environ.get("MODEL_PATH")
LOAD_SECONDS = float(os.environ.get("MODEL_LOAD_SECONDS", "2.0"))
FIRST_INFERENCE_SECONDS = float(os.environ.get("MODEL_FIRST_INFERENCE_SECONDS", "0.3"))
SIZE = int(os.environ.get("MODEL_SIZE", "64"))
LOADED_DIR = os.environ.get("MODEL_LOADED_DIR") or os.path.join(tempfile.gettempdir(), f"inference-server-{os.getppid()}")
WORKER_ID_HEADER = os.environ.get("WORKER_ID_HEADER", "X-Worker-Id")
WORKER_ID = f"{socket.gethostname()}-{os.getpid()}"
RETRY_AFTER_SECONDS = str(max(1, math.ceil(LOAD_SECONDS / 2)))


def expected_workers() -> int:
    try:
        import uwsgi  # only importable inside uWSGI; its process count is the truth there

        return int(uwsgi.numproc)
    except ImportError:
        return int(os.environ.get("INFERENCE_WORKERS") or os.cpu_count() or 1)


def model_seed() -> int:
    if not MODEL_PATH:
        return 20220517
    with open(MODEL_PATH, "rb") as weights:
        return int.from_bytes(hashlib.sha256(weights.read()).digest()[:8], "big")


class Model:
    """A two-layer perceptron with weights drawn from a seed: the same model in every worker."""

    def __init__(self, size: int):
        started = time.monotonic()
        rng = random.Random(model_seed())
        self.hidden = [[rng.gauss(0.0, 0.1) for _ in range(size)] for _ in range(size)]
        self.output = [[rng.gauss(0.0, 0.1) for _ in range(size)] for _ in range(10)]
        remaining = LOAD_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        self._first_inference_lock = threading.Lock()
        self._first_inference_done = False

    def predict(self, features):
        """Label, scores and whether this call paid the first-inference cost."""
        first = False
        if not self._first_inference_done:
            with self._first_inference_lock:
                if not self._first_inference_done:
                    # Lazy initialisation on first use (allocator warm-up, kernel selection in real frameworks).
                    time.sleep(FIRST_INFERENCE_SECONDS)
                    self._first_inference_done = first = True
        x = (list(features) + [0.0] * len(self.hidden))[: len(self.hidden)]
        h = [max(0.0, sum(w * v for w, v in zip(row, x))) for row in self.hidden]
        scores = [sum(w * v for w, v in zip(row, h)) for row in self.output]
        return max(range(len(scores)), key=scores.__getitem__), scores, first


_model = None
_load_error = None
_model_lock = threading.Lock()
_requests_served = 0


def _marker() -> str:
    return os.path.join(LOADED_DIR, str(os.getpid()))


def _load() -> Model:
    """Loads the worker's model (caller holds _model_lock) and leaves the marker /ready counts."""
    global _model
    _model = Model(SIZE)
    os.makedirs(LOADED_DIR, mode=0o700, exist_ok=True)
    with open(_marker(), "w") as marker:
        marker.write(WORKER_ID + "\n")
    return _model


def _load_at_start():
    global _load_error
    with _model_lock:
        try:
            _load()
        except Exception as error:  # noqa: BLE001 - reported by /ready and /predict, not lost in a thread
            _load_error = f"{type(error).__name__}: {error}"
            app.logger.error("model load failed: %s", _load_error)


def model_for_this_worker():
    """(model, loaded by this call); model None while a start-time load is still running."""
    if LOAD_MODE == "start":
        return _model, False
    with _model_lock:
        if _model is None:
            return _load(), True
        return _model, False


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True


def loaded_workers() -> int:
    """Workers with a loaded model; markers of dead workers (replaced, crashed) do not count."""
    try:
        return sum(1 for name in os.listdir(LOADED_DIR) if _alive(name))
    except FileNotFoundError:
        return 0


def json_response(body: dict, status: int = 200, headers: dict = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def not_ready(body: dict) -> Response:
    return json_response(body, 503, {"Retry-After": RETRY_AFTER_SECONDS})


@app.after_request
def name_the_worker(response: Response) -> Response:
    if WORKER_ID_HEADER:
        response.headers[WORKER_ID_HEADER] = WORKER_ID
    return response


@app.get("/health")
def health():
    return json_response({"status": "ok", "worker_pid": os.getpid()})


@app.get("/ready")
def ready():
    loaded, expected = loaded_workers(), expected_workers()
    body = {"ready": loaded >= expected, "workers_loaded": loaded, "workers_expected": expected, "load_mode": LOAD_MODE}
    if _load_error:
        body["error"] = _load_error
    return json_response(body) if body["ready"] else not_ready(body)


@app.post("/predict")
def predict():
    global _requests_served
    started = time.monotonic()
    model, loaded_now = model_for_this_worker()
    if model is None:
        if _load_error:
            return json_response({"error": f"model load failed: {_load_error}"}, 500)
        return not_ready({"error": "model loading", "worker_pid": os.getpid()})
    label, scores, first_inference = model.predict(features_from(request.get_data()))
    _requests_served += 1
    return json_response(
        {
            "label": label,
            "scores": [round(s, 6) for s in scores],
            "worker_pid": os.getpid(),
            "cold": loaded_now or first_inference,
            "requests_served_by_worker": _requests_served,
            "seconds": round(time.monotonic() - started, 4),
        }
    )


def features_from(body: bytes):
    # Any payload works: JSON {"features": [...]}, or raw bytes such as an image.
    try:
        parsed = json.loads(body or b"{}")
        if isinstance(parsed, dict) and isinstance(parsed.get("features"), list):
            return [float(v) for v in parsed["features"]]
    except (ValueError, TypeError):
        pass
    return [b / 255.0 for b in body[:SIZE]]


if LOAD_MODE == "start":
    # Import time is worker start under uWSGI lazy-apps and gunicorn without preload_app.
    threading.Thread(target=_load_at_start, name="model-load", daemon=True).start()
