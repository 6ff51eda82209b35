import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { ASYNC_RESULT_ATTRIBUTES } from "./async-contract";
import { IGrantable } from "./grants";
import { requireQueueName } from "./internal/async-validation";
import { KMS_KEY, PropValidationError, requireArn, requireIntegerInRange } from "./internal/validation";

/** Server-side encryption of the results table. */
export enum AsyncTableEncryption {
  /** A key AWS owns and manages for DynamoDB: no cost, no key in your account. */
  AWS_OWNED = "AWS_OWNED",
  /** The AWS managed key alias/aws/dynamodb in your account (key use shows in CloudTrail). */
  AWS_MANAGED = "AWS_MANAGED",
  /** A customer managed KMS key (kmsKeyArn). */
  CUSTOMER_KEY = "CUSTOMER_KEY",
}

/** What the request API and the workers need of a results table; AsyncResultsTable provides it. */
export interface IAsyncResultsTable {
  /** Name of the table. */
  readonly tableName: string;
  /** ARN of the table. */
  readonly tableArn: string;
  /** Seconds a request's record is kept after it was accepted (the TTL the request API sets on expiresAt; workers keep it). */
  readonly resultTtlSeconds: number;
  /** GetItem, PutItem and DeleteItem: what the request API needs. */
  grantReadWrite(grantee: IGrantable): void;
  /** GetItem and UpdateItem: what a worker needs to move a record forward. */
  grantWriteResults(grantee: IGrantable): void;
}

export interface AsyncResultsTableProps {
  /** Name of the table, 1 to 64 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Seconds a result is kept before DynamoDB's TTL deletes it, 60 to 31536000; the writers set expiresAt from it. @default 604800 (7 days) */
  readonly resultTtlSeconds?: number;
  /** Server-side encryption. @default AsyncTableEncryption.AWS_OWNED */
  readonly encryption?: AsyncTableEncryption;
  /** Customer managed KMS key ARN, with CUSTOMER_KEY only. @default - none */
  readonly kmsKeyArn?: string;
  /** Refuse DeleteTable (a destroy fails until it is turned off). @default true */
  readonly deletionProtection?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The results of asynchronous requests: one item per request id (ASYNC_RESULT_ATTRIBUTES), on-demand
 * capacity, point-in-time recovery, encryption at rest and a TTL on expiresAt so old results go away
 * by themselves.
 */
export class AsyncResultsTable extends Construct implements IAsyncResultsTable {
  /** Name of the table. */
  public readonly tableName: string;
  /** ARN of the table. */
  public readonly tableArn: string;
  /** Seconds a request's record is kept after it was accepted. */
  public readonly resultTtlSeconds: number;
  /** The customer managed key, with CUSTOMER_KEY. */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: AsyncResultsTableProps) {
    super(scope, id);
    const encryption = props.encryption ?? AsyncTableEncryption.AWS_OWNED;
    validateTableProps(this, props, encryption);
    this.resultTtlSeconds = props.resultTtlSeconds ?? 604_800;
    this.kmsKeyArn = props.kmsKeyArn;
    const table = new DynamodbTable(this, "Table", {
      name: props.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: ASYNC_RESULT_ATTRIBUTES.requestId,
      attribute: [{ name: ASYNC_RESULT_ATTRIBUTES.requestId, type: "S" }],
      ttl: { attributeName: ASYNC_RESULT_ATTRIBUTES.expiresAt, enabled: true },
      pointInTimeRecovery: { enabled: true },
      // enabled = false is DynamoDB's AWS owned key; true without a key ARN is alias/aws/dynamodb.
      serverSideEncryption: encryption === AsyncTableEncryption.AWS_OWNED ? { enabled: false } : { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: props.deletionProtection ?? true,
      tags: props.tags ?? {},
    });
    this.tableName = table.name;
    this.tableArn = table.arn;
  }

  /**
   * GetItem, PutItem (the conditional create) and DeleteItem (the conditional rollback of a record
   * whose compute event could not be published) on this table only: the request API.
   */
  public grantReadWrite(grantee: IGrantable): void {
    grantee.addToRolePolicy({ actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [this.tableArn] });
    this.grantKey(grantee);
  }

  /** GetItem and UpdateItem (the conditional, forward-only status update) on this table only: the workers. */
  public grantWriteResults(grantee: IGrantable): void {
    grantee.addToRolePolicy({ actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [this.tableArn] });
    this.grantKey(grantee);
  }

  private grantKey(grantee: IGrantable): void {
    if (this.kmsKeyArn !== undefined) grantee.addToRolePolicy({ actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [this.kmsKeyArn] });
  }
}

function validateTableProps(scope: Construct, props: AsyncResultsTableProps, encryption: AsyncTableEncryption): void {
  requireQueueName(scope, "name", props.name, 64);
  requireIntegerInRange(scope, "resultTtlSeconds", props.resultTtlSeconds, 60, 31_536_000, "use 60 seconds to 365 days (31536000)");
  if (encryption === AsyncTableEncryption.CUSTOMER_KEY) {
    if (props.kmsKeyArn === undefined) {
      throw new PropValidationError(scope, "kmsKeyArn", undefined, "a customer managed KMS key ARN with AsyncTableEncryption.CUSTOMER_KEY", "pass kmsKeyArn, or use AWS_OWNED or AWS_MANAGED");
    }
    requireArn(scope, "kmsKeyArn", props.kmsKeyArn, [KMS_KEY], "pass the key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a key id");
  } else if (props.kmsKeyArn !== undefined) {
    throw new PropValidationError(scope, "kmsKeyArn", props.kmsKeyArn, `no key with AsyncTableEncryption.${encryption}`, "set encryption: AsyncTableEncryption.CUSTOMER_KEY, or remove kmsKeyArn");
  }
}
