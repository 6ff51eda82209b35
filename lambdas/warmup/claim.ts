import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { WARMUP_CLAIMS_ATTRIBUTES } from "../../modules/warmup-settings";

// One lease per instance and lifecycle phase in the claims table: the event path, a re-delivered
// event and the reconciler all go through the same warmup function, and only the run that holds
// the lease decides and completes, so an instance is never completed twice or fought over.
// Key layout (shared with lambdas/warmup-reconciler): "claim#<instanceId>" holds the lease,
// "seen#<instanceId>#<state>" the reconciler's first sighting of a waiting instance.

/** The table's only key attribute. */
export const CLAIM_KEY = WARMUP_CLAIMS_ATTRIBUTES.key;
/** Epoch seconds after which an item is dead: the table's TTL attribute and the lease's expiry. */
export const EXPIRES_AT = WARMUP_CLAIMS_ATTRIBUTES.expiresAt;

export function claimKey(instanceId: string): string {
  return `claim#${instanceId}`;
}

export type ClaimResult =
  | { readonly kind: "claimed"; readonly release: () => Promise<void> }
  | { readonly kind: "held-elsewhere" }
  | { readonly kind: "off"; readonly reason: string };

export interface ClaimRequest {
  readonly table: string | undefined;
  readonly instanceId: string;
  /** Who holds it: logged by the reconciler, compared on release. */
  readonly owner: string;
  /** Epoch ms now. */
  readonly now: number;
  /** Epoch ms after which the lease lapses even if never released (a function killed at its timeout). */
  readonly expiresAt: number;
}

/**
 * Takes the instance's lease with a conditional put: free when there is none or the last one has
 * lapsed (TTL deletes lazily, so the expiry is checked here too). A lease held by a live run means
 * "warmup in progress elsewhere". Without a table, or when DynamoDB cannot be reached, warmup goes
 * ahead unclaimed ("off"): Auto Scaling still accepts only one completion of an action, and a lost
 * lease is better than an instance left waiting until its hook times out.
 */
export async function claimInstance(dynamodb: DynamoDBClient, request: ClaimRequest): Promise<ClaimResult> {
  const { table, instanceId, owner } = request;
  if (table === undefined) return { kind: "off", reason: "no claims table configured" };
  const key = { [CLAIM_KEY]: { S: claimKey(instanceId) } };
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...key, owner: { S: owner }, claimedAt: { N: String(Math.floor(request.now / 1000)) }, [EXPIRES_AT]: { N: String(Math.ceil(request.expiresAt / 1000)) } },
        ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
        ExpressionAttributeNames: { "#pk": CLAIM_KEY, "#expiresAt": EXPIRES_AT },
        ExpressionAttributeValues: { ":now": { N: String(Math.floor(request.now / 1000)) } },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") return { kind: "held-elsewhere" };
    return { kind: "off", reason: `claims table unavailable: ${(error as Error).message}` };
  }
  return {
    kind: "claimed",
    // Only our own lease: one that lapsed and was taken over by another run stays with that run.
    release: async () => {
      try {
        await dynamodb.send(
          new DeleteItemCommand({ TableName: table, Key: key, ConditionExpression: "#owner = :owner", ExpressionAttributeNames: { "#owner": "owner" }, ExpressionAttributeValues: { ":owner": { S: owner } } }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException")) throw error;
      }
    },
  };
}
