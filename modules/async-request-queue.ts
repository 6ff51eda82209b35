import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IGrantable } from "./grants";
import { policyDocument } from "./internal/policies";
import { requireCustomerKmsKey, requireQueueName } from "./internal/async-validation";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";
import { jsonencode } from "./internal/jsonencode";

/** How the topics and queues of an AsyncRequestQueue are encrypted at rest. */
export enum AsyncQueueEncryption {
  /** SSE-SQS on both queues, the AWS managed alias/aws/sns key on the topics: no key to manage, no key grants. */
  SERVICE_MANAGED = "SERVICE_MANAGED",
  /** One customer managed KMS key (kmsKeyArn) for topics and queues; its key policy must let sns.amazonaws.com use it. */
  CUSTOMER_KEY = "CUSTOMER_KEY",
}

/** What workers and the request API need of a request queue; AsyncRequestQueue provides it. */
export interface IAsyncRequestQueue {
  /** Name of the queue the workers consume. */
  readonly queueName: string;
  /** ARN of the queue the workers consume. */
  readonly queueArn: string;
  /** URL of the queue the workers consume. */
  readonly queueUrl: string;
  /** Name of the dead-letter queue. */
  readonly deadLetterQueueName: string;
  /** ARN of the topic the compute events are published to. */
  readonly requestsTopicArn: string;
  /** ARN of the topic completion events are published to. */
  readonly completionsTopicArn: string;
  /** Visibility timeout of the queue in seconds. */
  readonly visibilityTimeoutSeconds: number;
  /** Declared worst-case processing time of one message in seconds. */
  readonly worstCaseProcessingSeconds: number;
  /** Lets the grantee receive, delete and change the visibility of this queue's messages. */
  grantConsume(grantee: IGrantable): void;
  /** Lets the grantee publish compute events to the requests topic. */
  grantPublishRequests(grantee: IGrantable): void;
  /** Lets the grantee publish completion events to the completions topic. */
  grantPublishCompletions(grantee: IGrantable): void;
}

export interface AsyncRequestQueueProps {
  /** Name of the queue, prefix of its dead-letter queue and topics, 1 to 64 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Longest one message may take to process, in seconds (1 to 43200): the visibility timeout is derived from it. */
  readonly worstCaseProcessingSeconds: number;
  /** Visibility timeout as a multiple of worstCaseProcessingSeconds, 1 to 12; 6 is AWS's recommendation for Lambda consumers. @default 6 */
  readonly visibilityTimeoutFactor?: number;
  /** Receives before a message moves to the dead-letter queue, 1 to 1000. @default 5 */
  readonly maxReceiveCount?: number;
  /** Seconds a message is kept in the queue, 60 to 1209600. @default 345600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /** Seconds a message is kept in the dead-letter queue; must exceed messageRetentionSeconds, at most 1209600. @default 1209600 (14 days) */
  readonly deadLetterRetentionSeconds?: number;
  /** Long-polling wait of ReceiveMessage calls that do not set one, 0 to 20 seconds. @default 20 */
  readonly receiveWaitTimeSeconds?: number;
  /** Encryption at rest of topics and queues. @default AsyncQueueEncryption.SERVICE_MANAGED */
  readonly encryption?: AsyncQueueEncryption;
  /** Customer managed KMS key ARN, with CUSTOMER_KEY only; its key policy must allow sns.amazonaws.com kms:GenerateDataKey* and kms:Decrypt. @default - none */
  readonly kmsKeyArn?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const MAX_VISIBILITY_TIMEOUT = 43_200;
const MAX_RETENTION = 1_209_600;

/**
 * The queueing half of asynchronous inference: a requests SNS topic delivering the compute event
 * raw (the SQS body is exactly the event JSON) to a queue that only this topic may send to, a
 * dead-letter queue after maxReceiveCount receives (which only this queue may use, and which keeps
 * messages longer than the queue does), a visibility timeout derived from the declared worst-case
 * processing time, and a completions topic workers announce finished requests on.
 */
export class AsyncRequestQueue extends Construct implements IAsyncRequestQueue {
  /** Name of the queue. */
  public readonly queueName: string;
  /** ARN of the queue. */
  public readonly queueArn: string;
  /** URL of the queue. */
  public readonly queueUrl: string;
  /** Name of the dead-letter queue. */
  public readonly deadLetterQueueName: string;
  /** ARN of the dead-letter queue (the --source-arn of `aws sqs start-message-move-task`). */
  public readonly deadLetterQueueArn: string;
  /** URL of the dead-letter queue. */
  public readonly deadLetterQueueUrl: string;
  /** ARN of the requests topic (compute events). */
  public readonly requestsTopicArn: string;
  /** Name of the requests topic. */
  public readonly requestsTopicName: string;
  /** ARN of the completions topic (AsyncCompletionEvent). */
  public readonly completionsTopicArn: string;
  /** Name of the completions topic. */
  public readonly completionsTopicName: string;
  /** Visibility timeout in seconds: ceil(worstCaseProcessingSeconds x visibilityTimeoutFactor). */
  public readonly visibilityTimeoutSeconds: number;
  /** Declared worst-case processing time of one message in seconds. */
  public readonly worstCaseProcessingSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  public readonly maxReceiveCount: number;
  /** How topics and queues are encrypted. */
  public readonly encryption: AsyncQueueEncryption;
  /** The customer managed key, with CUSTOMER_KEY. */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: AsyncRequestQueueProps) {
    super(scope, id);
    this.encryption = props.encryption ?? AsyncQueueEncryption.SERVICE_MANAGED;
    this.visibilityTimeoutSeconds = validateQueueProps(this, props, this.encryption);
    this.worstCaseProcessingSeconds = props.worstCaseProcessingSeconds;
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    this.kmsKeyArn = props.kmsKeyArn;
    const tags = props.tags ?? {};
    const sqsEncryption = this.kmsKeyArn === undefined ? { sqsManagedSseEnabled: true } : { kmsMasterKeyId: this.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 };
    // alias/aws/sns works here because only IAM principals of this account publish to these topics.
    const snsEncryption = { kmsMasterKeyId: this.kmsKeyArn ?? "alias/aws/sns" };

    const deadLetters = new SqsQueue(this, "DeadLetterQueue", {
      name: `${props.name}-dlq`,
      messageRetentionSeconds: props.deadLetterRetentionSeconds ?? MAX_RETENTION,
      ...sqsEncryption,
      tags,
    });
    const queue = new SqsQueue(this, "Queue", {
      name: props.name,
      visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
      messageRetentionSeconds: props.messageRetentionSeconds ?? 345_600,
      receiveWaitTimeSeconds: props.receiveWaitTimeSeconds ?? 20,
      redrivePolicy: jsonencode({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: this.maxReceiveCount }),
      ...sqsEncryption,
      tags,
    });
    // A resource of its own (not the DLQ's redrive_allow_policy argument): the queue refers to the
    // DLQ, so the DLQ cannot refer back to the queue without a cycle.
    new SqsQueueRedriveAllowPolicy(this, "DeadLetterRedriveAllowPolicy", {
      queueUrl: deadLetters.url,
      redriveAllowPolicy: jsonencode({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
    });
    this.queueName = queue.name;
    this.queueArn = queue.arn;
    this.queueUrl = queue.url;
    this.deadLetterQueueName = deadLetters.name;
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueUrl = deadLetters.url;

    const requests = new SnsTopic(this, "RequestsTopic", { name: `${props.name}-requests`, ...snsEncryption, tags });
    const completions = new SnsTopic(this, "CompletionsTopic", { name: `${props.name}-completions`, ...snsEncryption, tags });
    this.requestsTopicArn = requests.arn;
    this.requestsTopicName = requests.name;
    this.completionsTopicArn = completions.arn;
    this.completionsTopicName = completions.name;

    new SqsQueuePolicy(this, "DeadLetterQueuePolicy", {
      queueUrl: deadLetters.url,
      policy: policyDocument(this, "DeadLetterQueuePolicyDocument", [denyInsecureTransport(deadLetters.arn)]),
    });
    const queuePolicy = new SqsQueuePolicy(this, "QueuePolicy", {
      queueUrl: queue.url,
      policy: policyDocument(this, "QueuePolicyDocument", [
        {
          sid: "RequestsTopicOnly",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [queue.arn],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [requests.arn] }],
        },
        denyInsecureTransport(queue.arn),
      ]),
    });
    // Raw delivery: the SQS body is the compute event itself, not an SNS envelope around it.
    new SnsTopicSubscription(this, "QueueSubscription", {
      topicArn: requests.arn,
      protocol: "sqs",
      endpoint: queue.arn,
      rawMessageDelivery: true,
      // A message published before the policy exists would be dropped.
      dependsOn: [queuePolicy],
    });
  }

  /** Lets the grantee receive, delete and change the visibility of this queue's messages (and decrypt them). */
  public grantConsume(grantee: IGrantable): void {
    grantee.addToRolePolicy({
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      resources: [this.queueArn],
    });
    if (this.kmsKeyArn !== undefined) grantee.addToRolePolicy({ actions: ["kms:Decrypt"], resources: [this.kmsKeyArn] });
  }

  /** Lets the grantee publish compute events to the requests topic. */
  public grantPublishRequests(grantee: IGrantable): void {
    this.grantPublish(grantee, this.requestsTopicArn);
  }

  /** Lets the grantee publish completion events to the completions topic. */
  public grantPublishCompletions(grantee: IGrantable): void {
    this.grantPublish(grantee, this.completionsTopicArn);
  }

  private grantPublish(grantee: IGrantable, topicArn: string): void {
    grantee.addToRolePolicy({ actions: ["sns:Publish"], resources: [topicArn] });
    if (this.kmsKeyArn !== undefined) grantee.addToRolePolicy({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [this.kmsKeyArn] });
  }
}

function denyInsecureTransport(queueArn: string): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: [{ type: "*", identifiers: ["*"] }],
    actions: ["sqs:*"],
    resources: [queueArn],
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/** Validates the props and returns the visibility timeout derived from them. */
function validateQueueProps(scope: Construct, props: AsyncRequestQueueProps, encryption: AsyncQueueEncryption): number {
  // 64 leaves room for "-completions" within SNS's and SQS's 80 characters.
  requireQueueName(scope, "name", props.name, 64);
  requireIntegerInRange(scope, "worstCaseProcessingSeconds", props.worstCaseProcessingSeconds, 1, MAX_VISIBILITY_TIMEOUT, "declare the longest one message may take, in whole seconds, at most 12 hours (SQS's visibility limit)");
  requireIntegerInRange(scope, "visibilityTimeoutFactor", props.visibilityTimeoutFactor, 1, 12, "use 6 (AWS's recommendation for Lambda consumers), or less for workers that extend visibility while they work");
  requireIntegerInRange(scope, "maxReceiveCount", props.maxReceiveCount, 1, 1000, "use 1 to 1000 receives; 5 gives a failing message a few retries");
  requireIntegerInRange(scope, "messageRetentionSeconds", props.messageRetentionSeconds, 60, MAX_RETENTION, "use 60 seconds to 14 days (1209600)");
  requireIntegerInRange(scope, "deadLetterRetentionSeconds", props.deadLetterRetentionSeconds, 60, MAX_RETENTION, "use 60 seconds to 14 days (1209600)");
  requireIntegerInRange(scope, "receiveWaitTimeSeconds", props.receiveWaitTimeSeconds, 0, 20, "use 0 to 20 seconds (20 = long polling)");
  const retention = props.messageRetentionSeconds ?? 345_600;
  const deadLetterRetention = props.deadLetterRetentionSeconds ?? MAX_RETENTION;
  // A message keeps its original enqueue time in the DLQ: with a retention not above the queue's,
  // a message that used up its receives late in its life expires from the DLQ almost at once.
  if (!isUnresolved(retention) && !isUnresolved(deadLetterRetention) && deadLetterRetention <= retention) {
    throw new PropValidationError(
      scope,
      "deadLetterRetentionSeconds",
      deadLetterRetention,
      `more than messageRetentionSeconds (${retention}): a dead letter keeps its original enqueue time, so it would expire before anyone looks at it`,
      `use ${MAX_RETENTION} (14 days), or shorten messageRetentionSeconds`,
    );
  }
  const worstCase = props.worstCaseProcessingSeconds;
  const factor = props.visibilityTimeoutFactor ?? 6;
  const visibility = isUnresolved(worstCase) ? MAX_VISIBILITY_TIMEOUT : Math.ceil(worstCase * factor);
  if (visibility > MAX_VISIBILITY_TIMEOUT) {
    throw new PropValidationError(
      scope,
      "worstCaseProcessingSeconds",
      worstCase,
      `a value whose visibility timeout (${worstCase} x visibilityTimeoutFactor ${factor} = ${visibility} s) fits SQS's maximum of ${MAX_VISIBILITY_TIMEOUT} s`,
      `lower visibilityTimeoutFactor to ${Math.max(1, Math.floor(MAX_VISIBILITY_TIMEOUT / worstCase))} or less (workers that extend visibility while they work need less), or split the work`,
    );
  }
  // The AWS managed alias/aws/sqs is refused by name, whatever the encryption mode says.
  if (props.kmsKeyArn !== undefined) requireCustomerKmsKey(scope, "kmsKeyArn", props.kmsKeyArn);
  if (encryption === AsyncQueueEncryption.CUSTOMER_KEY) {
    if (props.kmsKeyArn === undefined) {
      throw new PropValidationError(scope, "kmsKeyArn", undefined, "a customer managed KMS key ARN with AsyncQueueEncryption.CUSTOMER_KEY", "pass kmsKeyArn, or use AsyncQueueEncryption.SERVICE_MANAGED");
    }
  } else if (props.kmsKeyArn !== undefined) {
    throw new PropValidationError(scope, "kmsKeyArn", props.kmsKeyArn, "no key with AsyncQueueEncryption.SERVICE_MANAGED", "set encryption: AsyncQueueEncryption.CUSTOMER_KEY, or remove kmsKeyArn");
  }
  return visibility;
}
