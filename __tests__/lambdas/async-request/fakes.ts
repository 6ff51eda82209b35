export { memoryLogger } from "../support/memory-logger";
import { AttributeValue } from "@aws-sdk/client-dynamodb";
import { Clock } from "../../../lambdas/async-request/clock";
import { AsyncRequestConfig, loadConfig } from "../../../lambdas/async-request/config";

export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:requests";
export const TABLE = "async-results";
/** 2026-11-23T16:00:00.000Z */
export const NOW = Date.UTC(2026, 10, 23, 16, 0, 0);

export function testConfig(env: Record<string, string> = {}): AsyncRequestConfig {
  return loadConfig({ ASYNC_TABLE_NAME: TABLE, ASYNC_REQUESTS_TOPIC_ARN: TOPIC_ARN, ...env });
}

export class FakeClock implements Clock {
  constructor(public time = NOW) {}
  now(): number {
    return this.time;
  }
}

/** A stored item as a worker leaves it. */
export function storedItem(fields: {
  requestId: string;
  status: string;
  result?: string;
  error?: string;
  expiresAt?: number;
  payloadSha256?: string;
}): Record<string, AttributeValue> {
  const rank = { queued: 0, running: 1, succeeded: 2, failed: 2 }[fields.status] ?? 0;
  return {
    requestId: { S: fields.requestId },
    status: { S: fields.status },
    statusRank: { N: String(rank) },
    createdAt: { S: "2026-11-23T15:59:00.000Z" },
    updatedAt: { S: "2026-11-23T15:59:30.000Z" },
    expiresAt: { N: String(fields.expiresAt ?? Math.floor(NOW / 1000) + 3600) },
    ...(fields.result !== undefined ? { result: { S: fields.result } } : {}),
    ...(fields.error !== undefined ? { error: { S: fields.error } } : {}),
    ...(fields.payloadSha256 !== undefined ? { payloadSha256: { S: fields.payloadSha256 } } : {}),
  };
}
