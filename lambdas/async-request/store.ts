import {
  AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ASYNC_RESULT_ATTRIBUTES as A, ASYNC_STATUS_RANK, AsyncRequestStatus } from "../../modules/async-contract";

/**
 * Attribute only the request function reads: sha256 (hex) of the body the record was created
 * from, so an idempotency key reused with another body is refused instead of answered with the
 * first body's result.
 */
export const PAYLOAD_SHA256_ATTRIBUTE = "payloadSha256";

/** A results-table item as the request API reads it. */
export interface RequestRecord {
  readonly requestId: string;
  /** One of AsyncRequestStatus, as stored. */
  readonly status: string;
  readonly createdAt: string | undefined;
  readonly updatedAt: string | undefined;
  /** Epoch seconds; undefined when the item has none. */
  readonly expiresAt: number | undefined;
  /** JSON text written by the worker (succeeded). */
  readonly result: string | undefined;
  /** What went wrong (failed). */
  readonly error: string | undefined;
  readonly payloadSha256: string | undefined;
}

function text(item: Record<string, AttributeValue>, name: string): string | undefined {
  return item[name]?.S;
}

function number(item: Record<string, AttributeValue>, name: string): number | undefined {
  const raw = item[name]?.N;
  return raw === undefined ? undefined : Number(raw);
}

export function recordOf(item: Record<string, AttributeValue>): RequestRecord {
  const error = item[A.error];
  return {
    requestId: text(item, A.requestId) ?? "",
    status: text(item, A.status) ?? "",
    createdAt: text(item, A.createdAt),
    updatedAt: text(item, A.updatedAt),
    expiresAt: number(item, A.expiresAt),
    result: text(item, A.result),
    // Workers write a string; anything else is shown as JSON rather than lost.
    error: error === undefined ? undefined : (error.S ?? JSON.stringify(error)),
    payloadSha256: text(item, PAYLOAD_SHA256_ATTRIBUTE),
  };
}

/** A record past its expiresAt: DynamoDB's TTL deletes it lazily (up to days later), so it counts as gone. */
export function isExpired(record: RequestRecord, nowMs: number): boolean {
  return record.expiresAt !== undefined && record.expiresAt <= Math.floor(nowMs / 1000);
}

/** Strongly consistent read of one record (a record just created by another call is seen). */
export async function getRecord(dynamodb: DynamoDBClient, tableName: string, requestId: string): Promise<RequestRecord | undefined> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { [A.requestId]: { S: requestId } }, ConsistentRead: true }));
  return Item === undefined ? undefined : recordOf(Item);
}

export interface NewRecord {
  readonly requestId: string;
  readonly createdAt: string;
  readonly expiresAt: number;
  readonly payloadSha256: string;
}

/**
 * Creates the queued record unless one exists (an expired one, not yet deleted by TTL, is
 * replaced). Resolves true when this call created it, false when another call got there first.
 */
export async function createQueuedRecord(dynamodb: DynamoDBClient, tableName: string, record: NewRecord, nowSeconds: number): Promise<boolean> {
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          [A.requestId]: { S: record.requestId },
          [A.status]: { S: AsyncRequestStatus.QUEUED },
          [A.statusRank]: { N: String(ASYNC_STATUS_RANK[AsyncRequestStatus.QUEUED]) },
          [A.createdAt]: { S: record.createdAt },
          [A.updatedAt]: { S: record.createdAt },
          [A.expiresAt]: { N: String(record.expiresAt) },
          [PAYLOAD_SHA256_ATTRIBUTE]: { S: record.payloadSha256 },
        },
        ConditionExpression: "attribute_not_exists(#id) OR #expiresAt <= :now",
        ExpressionAttributeNames: { "#id": A.requestId, "#expiresAt": A.expiresAt },
        ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/**
 * Removes a record this call created whose compute event could not be published, so that a retry
 * of the same request creates and publishes it anew. Only while it is still the same queued
 * record (same createdAt): resolves false when it is not (nothing deleted).
 */
export async function deleteUnpublishedRecord(dynamodb: DynamoDBClient, tableName: string, requestId: string, createdAt: string): Promise<boolean> {
  try {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { [A.requestId]: { S: requestId } },
        ConditionExpression: "#status = :queued AND #createdAt = :createdAt",
        ExpressionAttributeNames: { "#status": A.status, "#createdAt": A.createdAt },
        ExpressionAttributeValues: { ":queued": { S: AsyncRequestStatus.QUEUED }, ":createdAt": { S: createdAt } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}
