"""Example inference server: a small deterministic model that is expensive to load.

Each uWSGI worker process (lazy-apps) loads its own copy of the model on its first /predict
request, as real ML servers do, and that first inference is slower than the rest. Every
response names the worker that answered and whether it was cold, so tests and benchmarks can
count cold hits.

Settings (environment variables):
  MODEL_LOAD_SECONDS             wall time of a model load (default 2.0). Weights are built with
                                 real computation; the rest of the time is spent waiting, like
                                 reading weights from disk, so many workers load in parallel even
                                 on a small test machine.
  MODEL_FIRST_INFERENCE_SECONDS  extra time of each worker's first inference (default 0.3)
  MODEL_SIZE                     width of the network's layers (default 64)
  MODEL_LOADED_DIR               if set, each worker writes a file named by its pid there once its
                                 model is loaded (tests and benchmarks count warm workers with it)
"""
import json
import os
import random
import threading
import time

from flask import Flask, Response, request

app = Flask(__name__)

LOAD_SECONDS = float(os.environ.get("MODEL_LOAD_SECONDS", "2.0"))
FIRST_INFERENCE_SECONDS = float(os.environ.get("MODEL_FIRST_INFERENCE_SECONDS", "0.3"))
SIZE = int(os.environ.get("MODEL_SIZE", "64"))
LOADED_DIR = os.environ.get("MODEL_LOADED_DIR")


class Model:
    """A two-layer perceptron with weights drawn from a fixed seed: same model in every worker."""

    def __init__(self, size: int):
        started = time.monotonic()
        rng = random.Random(20220517)
        self.hidden = [[rng.gauss(0.0, 0.1) for _ in range(size)] for _ in range(size)]
        self.output = [[rng.gauss(0.0, 0.1) for _ in range(size)] for _ in range(10)]
        remaining = LOAD_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        self.first_inference_pending = True

    def predict(self, features):
        if self.first_inference_pending:
            # Lazy initialisation on first use (allocator warm-up, kernel selection in real frameworks).
            time.sleep(FIRST_INFERENCE_SECONDS)
            self.first_inference_pending = False
        x = (list(features) + [0.0] * len(self.hidden))[: len(self.hidden)]
        h = [max(0.0, sum(w * v for w, v in zip(row, x))) for row in self.hidden]
        scores = [sum(w * v for w, v in zip(row, h)) for row in self.output]
        return max(range(len(scores)), key=scores.__getitem__), scores


_model = None
_model_lock = threading.Lock()
_requests_served = 0


def model_for_this_worker():
    """The worker's model and whether this call loaded it (the request that pays is 'cold')."""
    global _model
    with _model_lock:
        if _model is None:
            _model = Model(SIZE)
            if LOADED_DIR:
                with open(os.path.join(LOADED_DIR, str(os.getpid())), "w") as marker:
                    marker.write("loaded\n")
            return _model, True
        return _model, False


def features_from(body: bytes):
    # Any payload works: JSON {"features": [...]}, or raw bytes such as an image.
    try:
        parsed = json.loads(body or b"{}")
        if isinstance(parsed, dict) and isinstance(parsed.get("features"), list):
            return [float(v) for v in parsed["features"]]
    except (ValueError, TypeError):
        pass
    return [b / 255.0 for b in body[:SIZE]]


@app.get("/health")
def health():
    return Response(json.dumps({"status": "ok", "worker_pid": os.getpid()}), mimetype="application/json")


@app.post("/predict")
def predict():
    global _requests_served
    started = time.monotonic()
    model, cold = model_for_this_worker()
    label, scores = model.predict(features_from(request.get_data()))
    _requests_served += 1
    return Response(
        json.dumps(
            {
                "label": label,
                "scores": [round(s, 6) for s in scores],
                "worker_pid": os.getpid(),
                "cold": cold,
                "requests_served_by_worker": _requests_served,
                "seconds": round(time.monotonic() - started, 4),
            }
        ),
        mimetype="application/json",
    )
