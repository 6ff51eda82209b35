// The contract of asynchronous inference, shared by the constructs, the request Lambda (which
// bundles this file) and, by mirroring these names, the example Python workers. Plain data: no
// cdktf or AWS SDK imports, so the Lambda bundle stays small.

/** Status of an asynchronous request, in the order a request moves through them. */
export enum AsyncRequestStatus {
  /** Recorded and published; no worker has picked it up yet. */
  QUEUED = "queued",
  /** A worker received the message and is computing. */
  RUNNING = "running",
  /** The result is stored. */
  SUCCEEDED = "succeeded",
  /** The computation failed for good (the message went to the dead-letter queue). */
  FAILED = "failed",
}

/**
 * Rank of each status: a worker's conditional update only moves a record forward (a duplicate
 * or late delivery can never overwrite a newer state with an older one).
 */
export const ASYNC_STATUS_RANK: Readonly<Record<AsyncRequestStatus, number>> = {
  [AsyncRequestStatus.QUEUED]: 0,
  [AsyncRequestStatus.RUNNING]: 1,
  [AsyncRequestStatus.SUCCEEDED]: 2,
  [AsyncRequestStatus.FAILED]: 2,
};

/** Attribute names of the results table's items. */
export const ASYNC_RESULT_ATTRIBUTES = {
  /** Partition key (string): the request id. */
  requestId: "requestId",
  /** One of AsyncRequestStatus. */
  status: "status",
  /** ASYNC_STATUS_RANK of status (number), compared in conditional updates. */
  statusRank: "statusRank",
  /** ISO-8601 time the request was first recorded. */
  createdAt: "createdAt",
  /** ISO-8601 time of the last status change. */
  updatedAt: "updatedAt",
  /** Epoch seconds after which DynamoDB's TTL deletes the item (the table's TTL attribute). */
  expiresAt: "expiresAt",
  /** The result, as the JSON text the worker produced (succeeded only). */
  result: "result",
  /** What went wrong (failed only). */
  error: "error",
  /** Epoch seconds (number) until which the worker that marked the record running holds it; running -> running only after it. */
  leaseUntil: "leaseUntil",
  /** Random token of the delivery holding the lease; the heartbeat extends and a giving-up worker removes the lease only while it matches. */
  leaseOwner: "leaseOwner",
} as const;

/**
 * The compute event: published to the requests topic and delivered to the queue with raw message
 * delivery, so the SQS message body is exactly this JSON.
 */
export interface AsyncComputeEvent {
  /** Request id: the idempotency key header, or a hash of the body. */
  readonly requestId: string;
  /** The request body, parsed JSON. */
  readonly payload: unknown;
  /** ISO-8601 time the request was accepted. */
  readonly submittedAt: string;
}

/** The completion notification a worker publishes to the completions topic. */
export interface AsyncCompletionEvent {
  readonly requestId: string;
  readonly status: AsyncRequestStatus.SUCCEEDED | AsyncRequestStatus.FAILED;
  /** ISO-8601 time of completion. */
  readonly completedAt: string;
}

/** Header a client sets to choose the request id (letters, digits, "-" and "_", 1 to 128). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** Environment variables of the request function. */
export const ASYNC_REQUEST_ENV = {
  tableName: "ASYNC_TABLE_NAME",
  topicArn: "ASYNC_REQUESTS_TOPIC_ARN",
  maxBodyBytes: "ASYNC_MAX_BODY_BYTES",
  resultTtlSeconds: "ASYNC_RESULT_TTL_SECONDS",
  awsRequestTimeoutMs: "ASYNC_AWS_TIMEOUT_MS",
} as const;

/** Environment variables of every worker (Lambda or container). */
export const ASYNC_WORKER_ENV = {
  queueUrl: "ASYNC_QUEUE_URL",
  tableName: "ASYNC_TABLE_NAME",
  completionTopicArn: "ASYNC_COMPLETIONS_TOPIC_ARN",
  visibilityTimeoutSeconds: "ASYNC_VISIBILITY_TIMEOUT_SECONDS",
  resultTtlSeconds: "ASYNC_RESULT_TTL_SECONDS",
  /** Seconds a container worker may spend finishing its message after SIGTERM. */
  stopGraceSeconds: "WORKER_STOP_GRACE_SECONDS",
} as const;
