"""The logic every asynchronous-inference worker shares (container worker and Lambda worker).

It mirrors modules/async-contract.ts: status names and ranks, attribute names of the results
table, the compute event {requestId, payload, submittedAt} (the SQS message body, delivered raw
from the requests topic), the completion event {requestId, status, completedAt} and the worker's
environment variables. Nothing here touches SQS message lifetimes: the caller (worker.py or
lambda_worker.py) deletes, releases or reports each message according to the Outcome returned.

The status machine: queued (0) -> running (1) -> succeeded (2) | failed (2). Every write is a
conditional UpdateItem on statusRank, so a late or duplicate delivery never moves a record back:
  - mark running: only while the record is queued, failed (a message redriven from the dead-letter
    queue after a fix may retry a failed request; it can never touch a succeeded one), or running
    with no live lease (attribute_not_exists(leaseUntil) OR leaseUntil < now: see the lease below);
  - store the result: same condition, so a succeeded record is never overwritten;
  - store a failure: only while queued or running.
A delivery of a request that already succeeded is a no-op (no second computation): the status is
read (consistent read) before computing.

The lease: marking running also takes a lease on the request (leaseUntil, epoch seconds = the time
the message was received + the queue's visibility timeout, or for the Lambda worker the rest of
its invocation; leaseOwner, a random token of this
delivery). Running -> running is allowed only once the lease has expired, so two deliveries of one
request at the same time (a duplicate message, or a visibility that ran out) never both compute:
the one that cannot take the lease returns LEASED_ELSEWHERE (logged `leased-elsewhere`) and its
caller leaves the message to come back after the lease. The container worker's heartbeat extends
the lease with the visibility (only while it still holds it); a delivery that will not finish
(retry, cancel) gives its lease back; storing a result or a failure removes it.

Example-model settings (environment variables, not part of the contract):
  MODEL_SECONDS  simulated inference time per request (default 1.0); a payload may carry its own
                 {"seconds": n} (0 to 900) to make one request slow.
A payload {"fail": true} always fails (tests use it for poison messages).
"""
import hashlib
import json
import math
import os
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional

# --- The contract (modules/async-contract.ts) --------------------------------------------------

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
STATUS_RANK = {QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2}

# ASYNC_RESULT_ATTRIBUTES
ATTR_REQUEST_ID = "requestId"
ATTR_STATUS = "status"
ATTR_STATUS_RANK = "statusRank"
ATTR_CREATED_AT = "createdAt"
ATTR_UPDATED_AT = "updatedAt"
ATTR_EXPIRES_AT = "expiresAt"
ATTR_RESULT = "result"
ATTR_ERROR = "error"
ATTR_LEASE_UNTIL = "leaseUntil"
ATTR_LEASE_OWNER = "leaseOwner"

# ASYNC_WORKER_ENV
ENV_QUEUE_URL = "ASYNC_QUEUE_URL"
ENV_TABLE_NAME = "ASYNC_TABLE_NAME"
ENV_COMPLETION_TOPIC_ARN = "ASYNC_COMPLETIONS_TOPIC_ARN"
ENV_VISIBILITY_TIMEOUT_SECONDS = "ASYNC_VISIBILITY_TIMEOUT_SECONDS"
ENV_RESULT_TTL_SECONDS = "ASYNC_RESULT_TTL_SECONDS"

# IDEMPOTENCY_KEY_HEADER's rule, which every request id also satisfies (the sha256 form is 32 hex).
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

# --- Outcomes: what the caller does with the message ------------------------------------------

COMPUTED = "computed"  # result stored and announced: delete the message
DUPLICATE = "duplicate"  # already succeeded (no computation): delete the message
MALFORMED = "malformed"  # permanent: can never succeed; record marked failed if it has an id: delete
RETRY = "retry"  # the computation failed, attempts remain: keep the message (visible again later)
FAILED_FINAL = "failed-final"  # failed on the last allowed receive, record marked failed: keep the
#                               message so SQS moves it to the dead-letter queue on its next receive
CANCELLED = "cancelled"  # the worker is stopping and gave the message back
LEASED_ELSEWHERE = "leased-elsewhere"  # another delivery holds the request's lease and computes it:
#                                       keep the message, visible again after Lease.held_until
DELETE_OUTCOMES = frozenset({COMPUTED, DUPLICATE, MALFORMED})

SQS_JSON_MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore-data")


class Lease:
    """The lease one delivery takes on its request (mark running) and keeps (heartbeat)."""

    def __init__(self, received_at: Optional[float] = None, owner: Optional[str] = None, seconds: Optional[int] = None):
        # A random token per delivery: two deliveries of the same SQS message share its MessageId.
        self.owner = owner or uuid.uuid4().hex
        # Length of the lease; None: the queue's visibility timeout. (The Lambda worker, which has
        # no heartbeat, leases for the rest of its invocation, which it cannot outlive.)
        self.seconds = seconds
        # When the message was received (before the ReceiveMessage call, so the lease never
        # outlasts the message's own invisibility); None: when the processing starts.
        self.received_at = received_at
        self.request_id: Optional[str] = None  # set while this delivery holds the lease
        self.held_until: Optional[float] = None  # LEASED_ELSEWHERE: when the other lease ends


class MalformedMessage(Exception):
    """The message can never be processed (not a compute event)."""

    def __init__(self, reason: str, request_id: Optional[str] = None):
        super().__init__(reason)
        self.request_id = request_id


class ComputeError(Exception):
    """The model failed on this payload."""


class Cancelled(Exception):
    """The worker is stopping; the computation was abandoned."""


def log(event: str, **fields: Any) -> None:
    """One JSON line on stdout (CloudWatch Logs in Lambda and in ECS with the awslogs driver)."""
    record = {"time": iso_now(), "event": event, "pid": os.getpid()}
    record.update(fields)
    sys.stdout.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def epoch_text(seconds: float) -> str:
    """Epoch seconds as a DynamoDB number (milliseconds)."""
    return f"{seconds:.3f}"


def iso_now(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    queue_url: Optional[str]
    table_name: str
    completion_topic_arn: str
    visibility_timeout_seconds: int
    result_ttl_seconds: int
    model_seconds: float

    @staticmethod
    def from_env(environ: Mapping[str, str], require_queue_url: bool = True) -> "Settings":
        """Reads ASYNC_WORKER_ENV; a missing or invalid variable is a deployment error (ValueError)."""

        def required(name: str) -> str:
            value = environ.get(name, "").strip()
            if not value:
                raise ValueError(f"environment variable {name} is required")
            return value

        def positive_int(name: str, default: Optional[int]) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                if default is None:
                    raise ValueError(f"environment variable {name} is required")
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"environment variable {name} must be a positive integer, got {raw!r}")
            return int(raw)

        model_seconds = float(environ.get("MODEL_SECONDS", "1.0"))
        if not 0 <= model_seconds <= 900:
            raise ValueError("MODEL_SECONDS must be between 0 and 900")
        return Settings(
            queue_url=required(ENV_QUEUE_URL) if require_queue_url else (environ.get(ENV_QUEUE_URL) or None),
            table_name=required(ENV_TABLE_NAME),
            completion_topic_arn=required(ENV_COMPLETION_TOPIC_ARN),
            visibility_timeout_seconds=positive_int(ENV_VISIBILITY_TIMEOUT_SECONDS, None if require_queue_url else 30),
            result_ttl_seconds=positive_int(ENV_RESULT_TTL_SECONDS, 7 * 24 * 3600),
            model_seconds=model_seconds,
        )


# --- AWS clients ------------------------------------------------------------------------------


@dataclass
class Clients:
    sqs: Any
    dynamodb: Any
    sns: Any


def endpoint_url(service_env_name: str, environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL. Newer botocore reads these itself; Debian
    bookworm's botocore 1.29 does not, so they are read here (None: the service's real endpoint)."""
    return environ.get(f"AWS_ENDPOINT_URL_{service_env_name}") or environ.get("AWS_ENDPOINT_URL") or None


def make_clients(environ: Mapping[str, str] = os.environ) -> Clients:
    import boto3  # imported here so the parsing and model logic can be used without boto3
    import botocore.loaders
    from botocore.config import Config

    session = boto3.session.Session()
    # SQS has two wire protocols: the original query protocol and AWS JSON 1.0, which every current
    # SDK uses. Debian bookworm's botocore (1.29) only knows the query protocol for SQS; some SQS
    # emulators (fauxqs) only speak JSON. Where the installed botocore's SQS model is query-only,
    # the worker loads a trimmed copy of the official JSON model (botocore-data/, the five
    # operations it calls): same API, same IAM actions, JSON on the wire.
    if botocore.loaders.Loader().load_service_model("sqs", "service-2")["metadata"].get("protocol") != "json":
        session._session.get_component("data_loader").search_paths.insert(0, SQS_JSON_MODEL_DIR)
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    return Clients(
        sqs=session.client("sqs", region_name=region, endpoint_url=endpoint_url("SQS", environ), config=config),
        dynamodb=session.client("dynamodb", region_name=region, endpoint_url=endpoint_url("DYNAMODB", environ), config=config),
        sns=session.client("sns", region_name=region, endpoint_url=endpoint_url("SNS", environ), config=config),
    )


# --- Messages and the example model -----------------------------------------------------------


@dataclass(frozen=True)
class ComputeEvent:
    request_id: str
    payload: Any
    submitted_at: str


def parse_event(body: Any) -> ComputeEvent:
    """The SQS message body as a compute event; MalformedMessage if it cannot be one."""
    if not isinstance(body, str):
        raise MalformedMessage("message body is not text")
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise MalformedMessage(f"message body is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise MalformedMessage("message body is not a JSON object")
    request_id = parsed.get("requestId")
    if not isinstance(request_id, str) or not REQUEST_ID_PATTERN.match(request_id):
        raise MalformedMessage("requestId is missing or not 1 to 128 letters, digits, '-' or '_'")
    if "payload" not in parsed:
        raise MalformedMessage("payload is missing", request_id)
    submitted_at = parsed.get("submittedAt")
    if not isinstance(submitted_at, str):
        raise MalformedMessage("submittedAt is missing or not a string", request_id)
    return ComputeEvent(request_id=request_id, payload=parsed["payload"], submitted_at=submitted_at)


def run_model(payload: Any, default_seconds: float, cancel: Optional[threading.Event] = None) -> Dict[str, Any]:
    """The example model: a deterministic function of the payload that takes `seconds`."""
    seconds = default_seconds
    if isinstance(payload, dict):
        if payload.get("fail") is True:
            raise ComputeError("the payload asks the example model to fail")
        requested = payload.get("seconds")
        if isinstance(requested, (int, float)) and not isinstance(requested, bool) and 0 <= requested <= 900:
            seconds = float(requested)
    if cancel is not None:
        if cancel.wait(seconds):
            raise Cancelled()
    else:
        time.sleep(seconds)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return {"model": "example-v1", "digest": digest[:16], "score": round(int(digest[:8], 16) / 0xFFFFFFFF, 6), "inputBytes": len(canonical)}


# --- The processor ----------------------------------------------------------------------------

_NAMES = {
    "#id": ATTR_REQUEST_ID,
    "#status": ATTR_STATUS,
    "#rank": ATTR_STATUS_RANK,
    "#createdAt": ATTR_CREATED_AT,
    "#updatedAt": ATTR_UPDATED_AT,
    "#expiresAt": ATTR_EXPIRES_AT,
}


class Processor:
    """One compute event from receipt to stored result and completion event."""

    def __init__(self, clients: Clients, settings: Settings, clock: Callable[[], float] = time.time):
        self.clients = clients
        self.settings = settings
        self.clock = clock
        self._max_receive_count: Optional[int] = None
        self._max_receive_count_known = False

    def max_receive_count(self) -> Optional[int]:
        """maxReceiveCount of the queue's redrive policy (GetQueueAttributes, once); None without one."""
        if not self._max_receive_count_known:
            if self.settings.queue_url:
                attributes = self.clients.sqs.get_queue_attributes(QueueUrl=self.settings.queue_url, AttributeNames=["RedrivePolicy"])
                policy = attributes.get("Attributes", {}).get("RedrivePolicy")
                self._max_receive_count = int(json.loads(policy)["maxReceiveCount"]) if policy else None
            self._max_receive_count_known = True
        return self._max_receive_count

    def handle(self, body: Any, receive_count: int, max_receive_count: Optional[int], cancel: Optional[threading.Event] = None, lease: Optional[Lease] = None) -> str:
        """Processes one message body; returns an outcome. Raises only on infrastructure errors
        (DynamoDB, SNS unreachable): the caller keeps the message for a later attempt."""
        lease = lease if lease is not None else Lease()
        if lease.received_at is None:
            lease.received_at = self.clock()
        try:
            event = parse_event(body)
        except MalformedMessage as error:
            log("malformed", error=str(error), requestId=error.request_id, body=str(body)[:512])
            if error.request_id and self.store_failure(error.request_id, f"malformed compute event: {error}"):
                self.publish_completion(error.request_id, FAILED)
            return MALFORMED

        current = self.status_of(event.request_id)
        if current == SUCCEEDED:
            log("duplicate", requestId=event.request_id, receiveCount=receive_count)
            return DUPLICATE
        if not self.mark_running(event.request_id, lease):
            status, lease_until = self.lease_of(event.request_id)
            if status == RUNNING and lease_until is not None:
                lease.held_until = lease_until
                log("leased-elsewhere", requestId=event.request_id, receiveCount=receive_count, leaseUntil=lease_until)
                return LEASED_ELSEWHERE
            log("duplicate", requestId=event.request_id, receiveCount=receive_count)
            return DUPLICATE
        lease.request_id = event.request_id
        try:
            outcome = self._compute(event, lease, receive_count, max_receive_count, cancel)
        except BaseException:
            self.release_lease_quietly(lease)
            raise
        if outcome in (RETRY, CANCELLED):
            self.release_lease_quietly(lease)
        lease.request_id = None
        return outcome

    def _compute(self, event: ComputeEvent, lease: Lease, receive_count: int, max_receive_count: Optional[int], cancel: Optional[threading.Event]) -> str:
        log("started", requestId=event.request_id, receiveCount=receive_count)
        started = time.monotonic()
        try:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            result = run_model(event.payload, self.settings.model_seconds, cancel)
        except Cancelled:
            log("cancelled", requestId=event.request_id)
            return CANCELLED
        except Exception as error:  # the model's failure: retry, or fail for good on the last receive
            last = max_receive_count is not None and receive_count >= max_receive_count
            log("compute-failed", requestId=event.request_id, error=str(error), receiveCount=receive_count, maxReceiveCount=max_receive_count, final=last)
            if last:
                if self.store_failure(event.request_id, str(error)):
                    self.publish_completion(event.request_id, FAILED)
                return FAILED_FINAL
            return RETRY
        if cancel is not None and cancel.is_set():
            log("cancelled", requestId=event.request_id)
            return CANCELLED
        if self.store_result(event.request_id, result):
            log("computed", requestId=event.request_id, seconds=round(time.monotonic() - started, 3), receiveCount=receive_count)
        else:
            log("duplicate", requestId=event.request_id, receiveCount=receive_count, note="another delivery stored the result first")
            return DUPLICATE
        self.publish_completion(event.request_id, SUCCEEDED)
        return COMPUTED

    def status_of(self, request_id: str) -> Optional[str]:
        item = self.clients.dynamodb.get_item(
            TableName=self.settings.table_name,
            Key={ATTR_REQUEST_ID: {"S": request_id}},
            ConsistentRead=True,
            ProjectionExpression="#status",
            ExpressionAttributeNames={"#status": ATTR_STATUS},
        ).get("Item")
        return item[ATTR_STATUS]["S"] if item and ATTR_STATUS in item else None

    def lease_of(self, request_id: str) -> "tuple[Optional[str], Optional[float]]":
        """Status and leaseUntil of a record (consistent read); None for what is absent."""
        item = self.clients.dynamodb.get_item(
            TableName=self.settings.table_name,
            Key={ATTR_REQUEST_ID: {"S": request_id}},
            ConsistentRead=True,
            ProjectionExpression="#status, #leaseUntil",
            ExpressionAttributeNames={"#status": ATTR_STATUS, "#leaseUntil": ATTR_LEASE_UNTIL},
        ).get("Item") or {}
        status = item[ATTR_STATUS]["S"] if ATTR_STATUS in item else None
        lease_until = float(item[ATTR_LEASE_UNTIL]["N"]) if ATTR_LEASE_UNTIL in item else None
        return status, lease_until

    def lease_expiry(self, start: float, seconds: Optional[int] = None) -> int:
        """leaseUntil of a lease taken or renewed at `start`: one visibility timeout (or `seconds`)
        later, in whole seconds rounded down (never after the message becomes visible again)."""
        return math.floor(start) + (seconds if seconds is not None else self.settings.visibility_timeout_seconds)

    def mark_running(self, request_id: str, lease: Lease) -> bool:
        """Moves the record to running and takes the lease: from absent or queued, from failed (a
        redrive), or from running only when its lease has expired (or was given back)."""
        start = lease.received_at if lease.received_at is not None else self.clock()
        return self._update(
            request_id,
            RUNNING,
            extra_set=", #leaseUntil = :leaseUntil, #leaseOwner = :owner",
            extra_values={":leaseUntil": {"N": str(self.lease_expiry(start, lease.seconds))}, ":owner": {"S": lease.owner}, ":epoch": {"N": epoch_text(self.clock())}},
            condition=(
                "attribute_not_exists(#id) OR #rank < :runningRank OR #status = :failed"
                " OR (#rank = :runningRank AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :epoch))"
            ),
        )

    def extend_lease(self, lease: Lease, start: float) -> bool:
        """Heartbeat: moves leaseUntil to one visibility timeout after `start`, only while this
        delivery still holds the lease of a running record. False when it does not (nothing held,
        or the lease was lost)."""
        if lease.request_id is None:
            return False
        return self._lease_write(
            lease,
            "SET #leaseUntil = :leaseUntil",
            {":leaseUntil": {"N": str(self.lease_expiry(start))}},
        )

    def release_lease(self, lease: Lease) -> bool:
        """Gives the lease back (the record stays running), so the next delivery may compute at once."""
        if lease.request_id is None:
            return False
        return self._lease_write(lease, "REMOVE #leaseUntil, #leaseOwner", {})

    def release_lease_quietly(self, lease: Lease) -> None:
        """release_lease, logging (not raising) an error: an unreleased lease simply expires."""
        try:
            self.release_lease(lease)
        except Exception as error:  # the lease then simply expires
            log("lease-release-error", requestId=lease.request_id, error=str(error))

    def _lease_write(self, lease: Lease, update: str, values: Dict[str, Any]) -> bool:
        all_values = {":owner": {"S": lease.owner}, ":runningRank": {"N": str(STATUS_RANK[RUNNING])}}
        all_values.update(values)
        try:
            self.clients.dynamodb.update_item(
                TableName=self.settings.table_name,
                Key={ATTR_REQUEST_ID: {"S": lease.request_id}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(#id) AND #rank = :runningRank AND #leaseOwner = :owner",
                ExpressionAttributeNames={"#id": ATTR_REQUEST_ID, "#rank": ATTR_STATUS_RANK, "#leaseUntil": ATTR_LEASE_UNTIL, "#leaseOwner": ATTR_LEASE_OWNER},
                ExpressionAttributeValues=all_values,
            )
            return True
        except self.clients.dynamodb.exceptions.ConditionalCheckFailedException:
            return False

    def store_result(self, request_id: str, result: Dict[str, Any]) -> bool:
        return self._update(
            request_id,
            SUCCEEDED,
            extra_set=", #result = :result",
            extra_values={":result": {"S": json.dumps(result, sort_keys=True)}},
            condition="attribute_not_exists(#id) OR #rank <= :runningRank OR #status = :failed",
            names={"#result": ATTR_RESULT},
        )

    def store_failure(self, request_id: str, error: str) -> bool:
        return self._update(
            request_id,
            FAILED,
            extra_set=", #error = :error",
            extra_values={":error": {"S": error[:1000]}},
            condition="attribute_not_exists(#id) OR #rank <= :runningRank",
            names={"#error": ATTR_ERROR},
        )

    def _update(self, request_id: str, status: str, extra_set: str, extra_values: Dict[str, Any], condition: str, names: Optional[Dict[str, str]] = None) -> bool:
        now = self.clock()
        values = {
            ":status": {"S": status},
            ":rank": {"N": str(STATUS_RANK[status])},
            ":now": {"S": iso_now(lambda: now)},
            ":expires": {"N": str(math.floor(now) + self.settings.result_ttl_seconds)},
            ":runningRank": {"N": str(STATUS_RANK[RUNNING])},
        }
        if ":failed" in condition:
            values[":failed"] = {"S": FAILED}
        values.update(extra_values)
        # A record stores either a result or an error: the other is removed.
        # A finished record holds no lease.
        remove = {SUCCEEDED: " REMOVE #error, #leaseUntil, #leaseOwner", RUNNING: " REMOVE #error, #result", FAILED: " REMOVE #result, #leaseUntil, #leaseOwner"}[status]
        all_names = dict(_NAMES)
        all_names.update({"#error": ATTR_ERROR, "#result": ATTR_RESULT, "#leaseUntil": ATTR_LEASE_UNTIL, "#leaseOwner": ATTR_LEASE_OWNER})
        all_names.update(names or {})
        try:
            self.clients.dynamodb.update_item(
                TableName=self.settings.table_name,
                Key={ATTR_REQUEST_ID: {"S": request_id}},
                UpdateExpression=(
                    "SET #status = :status, #rank = :rank, #updatedAt = :now, "
                    "#createdAt = if_not_exists(#createdAt, :now), #expiresAt = if_not_exists(#expiresAt, :expires)" + extra_set + remove
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames=all_names,
                ExpressionAttributeValues=values,
            )
            return True
        except self.clients.dynamodb.exceptions.ConditionalCheckFailedException:
            return False

    def publish_completion(self, request_id: str, status: str) -> None:
        event = {"requestId": request_id, "status": status, "completedAt": iso_now(self.clock)}
        self.clients.sns.publish(
            TopicArn=self.settings.completion_topic_arn,
            Message=json.dumps(event),
            MessageAttributes={"status": {"DataType": "String", "StringValue": status}},
        )
