"""Container worker for asynchronous inference (an ECS/Fargate task, or any long-running process).

Loop: long-poll the queue (WaitTimeSeconds 20, one message at a time), process the compute event
with worker_core, delete the message only after the result is stored and announced.
  - Heartbeat: while a message is being processed, a thread extends its visibility
    (ChangeMessageVisibility to ASYNC_VISIBILITY_TIMEOUT_SECONDS) every third of that timeout, so
    a computation longer than the timeout is never handed to a second worker, and extends the
    request's lease in the results table with it (only while this delivery still holds it).
  - Lease: a delivery whose request is leased by another delivery (worker_core LEASED_ELSEWHERE,
    logged `leased-elsewhere`) does not compute: the message is neither deleted nor released
    now, its visibility is set to end one second after the other lease, and it comes back then
    (the other delivery has finished it by then, or given up its lease).
  - Failures: a model failure makes the message visible again after a short backoff
    (min(timeout, 2^(receives-1)) seconds); on the last receive the queue's redrive policy allows,
    the record is marked failed, a failed completion event is published and the message released
    at once, so SQS moves it to the dead-letter queue on its next receive (the record tells the
    requester; the DLQ keeps the message for a redrive after a fix).
  - SIGTERM (ECS stops a task, scale-in): stop receiving; the current message gets
    WORKER_STOP_GRACE_SECONDS (default 20; AsyncQueueWorkerService sets it 10 s below the task's stopTimeout)
    to finish; if it cannot, it is released (ChangeMessageVisibility 0) for another worker and the
    process exits 0. A SIGTERM during an idle long poll ends the poll at once.
  - ECS task scale-in protection: when ECS_AGENT_URI is set (ECS sets it in every task), the task
    is protected (PUT $ECS_AGENT_URI/task-protection/v1/state, ExpiresInMinutes covering two
    visibility timeouts, renewed by the heartbeat) from the receipt of a message until a poll
    finds no further message (the poll after a message does not wait), so scale-in only stops
    idle tasks.

Environment: ASYNC_QUEUE_URL, ASYNC_TABLE_NAME, ASYNC_COMPLETIONS_TOPIC_ARN,
ASYNC_VISIBILITY_TIMEOUT_SECONDS, ASYNC_RESULT_TTL_SECONDS (modules/async-contract.ts
ASYNC_WORKER_ENV); WORKER_STOP_GRACE_SECONDS, WORKER_POLL_SECONDS (default 20), MODEL_SECONDS;
AWS_ENDPOINT_URL_SQS / _DYNAMODB / _SNS to point at other endpoints.
"""
import json
import math
import os
import signal
import sys
import threading
import time
import urllib.request
from typing import Any, Dict, Optional

import worker_core
from worker_core import log


class StopPolling(BaseException):
    """Raised by the SIGTERM handler to end an idle long poll (a BaseException, like
    KeyboardInterrupt, so no `except Exception` in botocore or urllib3 swallows it)."""


class WorkerState:
    def __init__(self, grace_seconds: float):
        self.grace_seconds = grace_seconds
        self.polling = False
        self.stopping = False
        self.stop_deadline = math.inf

    def on_signal(self, signum: int, _frame: Any) -> None:
        if not self.stopping:
            self.stopping = True
            self.stop_deadline = time.monotonic() + self.grace_seconds
            log("stopping", signal=signal.Signals(signum).name, graceSeconds=self.grace_seconds, busy=not self.polling)
        if self.polling:
            # Idle in a long poll: nothing to finish. (A message the poll was returning at this
            # very instant becomes visible again after its visibility timeout; it is not lost.)
            raise StopPolling()


class TaskProtection:
    """ECS task scale-in protection through the ECS agent endpoint; a no-op outside ECS."""

    def __init__(self, agent_uri: Optional[str], expires_in_minutes: int):
        self.url = f"{agent_uri.rstrip('/')}/task-protection/v1/state" if agent_uri else None
        self.expires_in_minutes = expires_in_minutes
        self.enabled_at: Optional[float] = None

    def enable(self) -> None:
        if self.url and self._put({"ProtectionEnabled": True, "ExpiresInMinutes": self.expires_in_minutes}):
            self.enabled_at = time.monotonic()

    def refresh(self) -> None:
        """Renews the protection of a long computation when half of it has run out."""
        if self.enabled_at is not None and time.monotonic() - self.enabled_at > self.expires_in_minutes * 30:
            self.enable()

    def disable(self) -> None:
        if self.url and self.enabled_at is not None and self._put({"ProtectionEnabled": False}):
            self.enabled_at = None

    def _put(self, body: Dict[str, Any]) -> bool:
        request = urllib.request.Request(self.url or "", data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
            log("task-protection", enabled=body["ProtectionEnabled"])
            return True
        except Exception as error:  # protection is best effort: never stop working because of it
            log("task-protection-error", error=str(error), enabled=body["ProtectionEnabled"])
            return False


class Heartbeat(threading.Thread):
    """Keeps one message invisible while it is processed."""

    def __init__(self, sqs: Any, queue_url: str, receipt_handle: str, timeout_seconds: int, protection: TaskProtection, processor: worker_core.Processor, lease: worker_core.Lease):
        super().__init__(daemon=True)
        self.sqs, self.queue_url, self.receipt_handle = sqs, queue_url, receipt_handle
        self.processor, self.lease = processor, lease
        self.timeout_seconds = timeout_seconds
        self.interval = max(timeout_seconds / 3.0, 0.2)
        self.protection = protection
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            start = self.processor.clock()
            try:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=self.receipt_handle, VisibilityTimeout=self.timeout_seconds)
            except Exception as error:
                log("heartbeat-error", error=str(error))
            request_id = self.lease.request_id
            if request_id is not None:
                try:
                    if not self.processor.extend_lease(self.lease, start) and self.lease.request_id is not None:
                        log("lease-lost", requestId=request_id)
                except Exception as error:
                    log("heartbeat-error", error=str(error), requestId=request_id)
            self.protection.refresh()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def process_one(message: Dict[str, Any], processor: worker_core.Processor, settings: worker_core.Settings, state: WorkerState, protection: TaskProtection, max_receives: Optional[int], received_at: Optional[float] = None) -> str:
    sqs, queue_url = processor.clients.sqs, settings.queue_url or ""
    receipt = message["ReceiptHandle"]
    receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    lease = worker_core.Lease(received_at=received_at)
    heartbeat = Heartbeat(sqs, queue_url, receipt, settings.visibility_timeout_seconds, protection, processor, lease)
    heartbeat.start()
    cancel = threading.Event()
    box: Dict[str, Any] = {}

    def work() -> None:
        try:
            box["outcome"] = processor.handle(message.get("Body"), receive_count, max_receives, cancel, lease)
        except Exception as error:  # DynamoDB or SNS trouble: keep the message for a later attempt
            log("processing-error", error=repr(error), messageId=message.get("MessageId"))
            box["outcome"] = worker_core.RETRY

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if thread.is_alive() and state.stopping and time.monotonic() >= state.stop_deadline:
            cancel.set()
            heartbeat.stop()
            # Give the lease back before the message: the next delivery may then compute at once.
            thread.join(1.0)
            processor.release_lease_quietly(lease)
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
            log("released", messageId=message.get("MessageId"), reason="stop grace period over")
            return worker_core.CANCELLED
    heartbeat.stop()
    outcome = box.get("outcome", worker_core.RETRY)
    if outcome in worker_core.DELETE_OUTCOMES:
        try:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
        except Exception as error:  # the message comes back and is a no-op duplicate
            log("delete-error", error=str(error), messageId=message.get("MessageId"))
    elif outcome == worker_core.LEASED_ELSEWHERE:
        # Another delivery computes this request: come back one second after its lease ends.
        held_until = lease.held_until if lease.held_until is not None else processor.clock() + settings.visibility_timeout_seconds
        delay = min(43200, max(1, math.ceil(held_until - processor.clock()) + 1))
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay)
    elif outcome == worker_core.CANCELLED:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
        log("released", messageId=message.get("MessageId"), reason="cancelled")
    else:
        # RETRY: back off before the next attempt; FAILED_FINAL: visible now, so the next receive
        # moves it to the dead-letter queue.
        delay = 0 if outcome == worker_core.FAILED_FINAL else min(settings.visibility_timeout_seconds, 2 ** (receive_count - 1))
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay)
    return outcome


def main() -> int:
    settings = worker_core.Settings.from_env(os.environ)
    grace = float(os.environ.get("WORKER_STOP_GRACE_SECONDS", "20"))
    poll_seconds = int(os.environ.get("WORKER_POLL_SECONDS", "20"))
    state = WorkerState(grace)
    signal.signal(signal.SIGTERM, state.on_signal)
    signal.signal(signal.SIGINT, state.on_signal)
    processor = worker_core.Processor(worker_core.make_clients(), settings)
    max_receives = processor.max_receive_count()
    protection = TaskProtection(os.environ.get("ECS_AGENT_URI"), max(1, math.ceil(2 * settings.visibility_timeout_seconds / 60)))
    log("worker-started", queueUrl=settings.queue_url, maxReceiveCount=max_receives, visibilityTimeoutSeconds=settings.visibility_timeout_seconds)
    sqs = processor.clients.sqs
    while not state.stopping:
        try:
            state.polling = True
            if state.stopping:
                break
            # Before the call: a lease counted from here never outlasts the message's invisibility.
            received_at = processor.clock()
            response = sqs.receive_message(
                QueueUrl=settings.queue_url,
                # Right after a message, look once without waiting: an empty answer means no work
                # at hand, so the task drops its scale-in protection before it long-polls.
                WaitTimeSeconds=0 if protection.enabled_at is not None else poll_seconds,
                MaxNumberOfMessages=1,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            state.polling = False
        except StopPolling:
            break
        except Exception as error:  # the queue is unreachable: wait and poll again
            state.polling = False
            log("receive-error", error=str(error))
            time.sleep(1)
            continue
        finally:
            state.polling = False
        messages = response.get("Messages", [])
        if not messages:
            protection.disable()
            continue
        protection.enable()
        outcome = process_one(messages[0], processor, settings, state, protection, max_receives, received_at)
        if outcome == worker_core.CANCELLED:
            break
    protection.disable()
    log("worker-stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
