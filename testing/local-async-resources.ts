import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { ASYNC_RESULT_ATTRIBUTES } from "../modules/async-contract";
import { LocalAws, localClientConfig, startLocalAws } from "./local-aws-emulators";

/** SDK clients pointed at the emulators (explicit endpoints, so fauxqs's queue URL hosts are never dialled). */
export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  destroy(): void;
}

/** Clients for `endpoints`: a LocalAws's, or those of two, one per service. */
export function localClients(endpoints: LocalAws["endpoints"]): LocalClients {
  const dynamodb = new DynamoDBClient(localClientConfig(endpoints.dynamodb));
  const sns = new SNSClient(localClientConfig(endpoints.snsSqs));
  const sqs = new SQSClient(localClientConfig(endpoints.snsSqs));
  return { dynamodb, sns, sqs, destroy: () => [dynamodb, sns, sqs].forEach((c) => c.destroy()) };
}

/** Both emulators (one process, startLocalAws()) with clients for them. */
export interface LocalAwsClients extends LocalClients {
  readonly endpoints: LocalAws["endpoints"];
  readonly env: LocalAws["env"];
  /** Destroys the clients and stops the emulators. */
  stop(): Promise<void>;
}

export async function startLocalAwsClients(): Promise<LocalAwsClients> {
  const emulators = await startLocalAws();
  const clients = localClients(emulators.endpoints);
  return {
    ...clients,
    endpoints: emulators.endpoints,
    env: emulators.env,
    stop: async () => {
      clients.destroy();
      await emulators.stop();
    },
  };
}

/** Creates the results table as the construct defines its key (requestId, string), on demand; ready at once on dynalite. */
export async function createResultsTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: ASYNC_RESULT_ATTRIBUTES.requestId, AttributeType: "S" }],
      KeySchema: [{ AttributeName: ASYNC_RESULT_ATTRIBUTES.requestId, KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}

export interface LocalQueue {
  readonly url: string;
  readonly arn: string;
}

export async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<LocalQueue> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = QueueUrl as string;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: Attributes?.QueueArn as string };
}

/** A queue with its DLQ (`<name>-dlq`) and redrive policy, as the AsyncRequestQueue construct sets them up. */
export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  options: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
): Promise<{ queue: LocalQueue; dlq: LocalQueue }> {
  const dlq = await createQueue(sqs, `${name}-dlq`, { MessageRetentionPeriod: "1209600" });
  const queue = await createQueue(sqs, name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount }),
  });
  return { queue, dlq };
}

/** A topic with a raw-delivery subscription of `queueArn` (the SQS body is the published message itself); returns the topic ARN. */
export async function createTopicToQueue(sns: SNSClient, name: string, queueArn: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { RawMessageDelivery: "true" } }));
  return TopicArn as string;
}

/** Visible + in-flight + delayed messages of a queue. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Receives and deletes every message now visible on a queue (short polls until one comes back
 * empty), in receive order, with their attributes: what a test reads from a DLQ or a completions queue.
 */
export async function drainQueue(sqs: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30, MessageAttributeNames: ["All"] }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
}

/** Polls `condition` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
