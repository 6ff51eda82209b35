"""Lambda worker for asynchronous inference: an SQS event source mapping calls handler() with a
batch of messages (FunctionResponseTypes ReportBatchItemFailures).

Each record goes through the same worker_core logic as the container worker. The return value
lists the records to retry (batchItemFailures); Lambda deletes the others. A record that failed on
the last receive the queue's redrive policy allows is marked failed and also listed, so SQS moves
it to the dead-letter queue. Malformed records are permanent failures: marked failed when they
carry a request id, and not retried. Records that cannot be started before the function's time
runs out are listed as failures without being touched (they come back on a later batch). A
record whose request another delivery is computing (it holds the request's lease, logged
`leased-elsewhere`) is listed too, without computing: it comes back after the visibility timeout.
The Lambda worker's own lease lasts the rest of its invocation (it has no heartbeat to extend it),
so a record retried after a timeout or a crash finds it expired.

Lambda extends nothing itself: the queue's visibility timeout must cover the whole batch (the
construct validates at least 6 x the function timeout). Set maximum_concurrency on the event
source mapping: without it, the poller receives more batches than the reserved concurrency can
run, and throttled receives count toward maxReceiveCount (see the README's DLQ pitfall).
"""
import math
import os
import time
from typing import Any, Dict, List, Optional

import worker_core
from worker_core import log

# Time kept in hand when deciding whether to start another record.
SAFETY_MARGIN_MS = 2_000

_processor: Optional[worker_core.Processor] = None


def processor() -> worker_core.Processor:
    global _processor
    if _processor is None:
        # ASYNC_QUEUE_URL is optional here: without it, the redrive policy is not read and a
        # failing record is simply retried until SQS moves it to the dead-letter queue.
        _processor = worker_core.Processor(worker_core.make_clients(), worker_core.Settings.from_env(os.environ, require_queue_url=False))
    return _processor


def handler(event: Dict[str, Any], context: Any) -> Dict[str, List[Dict[str, str]]]:
    worker = processor()
    max_receives = worker.max_receive_count()
    failures: List[Dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        remaining = context.get_remaining_time_in_millis() if context is not None and hasattr(context, "get_remaining_time_in_millis") else None
        if remaining is not None and remaining < SAFETY_MARGIN_MS + 1000 * worker.settings.model_seconds:
            failures.append({"itemIdentifier": message_id})
            continue
        receive_count = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            # Lease the request for the rest of this invocation (plus a second): the invocation
            # cannot outlive it, and a retry after a timeout finds it expired.
            lease = worker_core.Lease(received_at=time.time(), seconds=math.ceil(remaining / 1000) + 1 if remaining is not None else None)
            outcome = worker.handle(record.get("body"), receive_count, max_receives, lease=lease)
        except Exception as error:  # DynamoDB or SNS trouble: retry the record
            log("processing-error", error=repr(error), messageId=message_id)
            outcome = worker_core.RETRY
        if outcome not in worker_core.DELETE_OUTCOMES:
            failures.append({"itemIdentifier": message_id})
    log("batch-done", records=len(event.get("Records", [])), failures=len(failures))
    return {"batchItemFailures": failures}
