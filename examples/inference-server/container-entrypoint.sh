#!/bin/sh
# Container entrypoint of the example inference server (ECS): checks the model on the EFS mount,
# then runs uWSGI, which serves HTTP straight into its workers (no nginx: the ALB is the proxy).
# It stays as the process ECS signals: SIGTERM (and SIGINT) are forwarded to uWSGI (die-on-term:
# a clean shutdown, not uWSGI's default reload), and the container's exit code says whether the
# server was asked to stop: uWSGI ending on its own is a failure, even with status 0 (a lazy-apps
# worker whose app cannot load stops the whole instance with SIGINT, which uWSGI reports as 0).
# Readiness: GET /ready answers 200 only once every worker has loaded its model (MODEL_LOAD=start).
# Run the task with initProcessEnabled so an init reaps stray processes; this script does not.
set -eu

app_dir="${APP_DIR:-$(dirname "$0")}"

if [ -z "${MODEL_PATH:-}" ]; then
  echo "container-entrypoint: MODEL_PATH is not set; set it to the model file on the EFS mount, e.g. /models/model.bin" >&2
  exit 64
fi
# Load before start: no worker may accept traffic without a model to load, so a missing or
# unreadable file stops the task here, with the reason in its log, instead of failing health checks.
if [ ! -f "$MODEL_PATH" ] || ! head -c 1 "$MODEL_PATH" >/dev/null 2>&1; then
  echo "container-entrypoint: model file $MODEL_PATH is missing or not readable by uid $(id -u); check that the EFS volume is mounted at $(dirname "$MODEL_PATH") (task definition mountPoints) and that the access point's POSIX user may read the file" >&2
  exit 66
fi

# Markers of loaded workers: fresh for every server start, shared by this server's workers only.
MODEL_LOADED_DIR="${MODEL_LOADED_DIR:-$(mktemp -d -t inference-loaded.XXXXXX)}"
export MODEL_LOADED_DIR
export MODEL_LOAD="${MODEL_LOAD:-start}"
export INFERENCE_HTTP_SOCKET="${INFERENCE_HTTP_SOCKET:-0.0.0.0:8080}"
echo "container-entrypoint: model $MODEL_PATH found; starting uWSGI on $INFERENCE_HTTP_SOCKET (MODEL_LOAD=$MODEL_LOAD)" >&2
stopping=""
forward() {
  stopping=1
  kill -TERM "$server" 2>/dev/null || true
}
trap forward TERM INT
uwsgi --ini "$app_dir/uwsgi.ini" "$@" &
server=$!
# wait returns early when a trapped signal arrives; wait again until uWSGI has really exited.
while :; do
  status=0
  wait "$server" || status=$?
  kill -0 "$server" 2>/dev/null || break
done
if [ -n "$stopping" ]; then
  exit "$status"
fi
echo "container-entrypoint: uWSGI exited by itself (status $status); failing the container" >&2
if [ "$status" -eq 0 ]; then exit 70; fi
exit "$status"
