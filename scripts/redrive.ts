// Moves the messages of a dead-letter queue back to be processed again, after the cause of the
// failures is fixed.
// Usage: npm run redrive -- <dlq-arn-or-url> [--to <queue-arn-or-url>] [--manual] [--max <n>] [--no-wait]
//   Default: SQS's own redrive (StartMessageMoveTask) to the DLQ's source queues, or to --to;
//   waits until the task is done (--no-wait: print its handle and return).
//   --manual, or where StartMessageMoveTask is not supported (some emulators): receive from the
//   DLQ, send to the destination (--to, else the DLQ's only source queue from
//   ListDeadLetterSourceQueues), delete from the DLQ only what was sent, 10 at a time.
// Credentials, region and endpoint come from the usual AWS SDK settings (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL_SQS, ...). IAM: sqs:GetQueueAttributes, sqs:GetQueueUrl,
// sqs:StartMessageMoveTask and sqs:ListMessageMoveTasks (+ the DLQ's redrive-allow policy), or
// for --manual sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility on the DLQ,
// sqs:SendMessage on the destination (and sqs:ListDeadLetterSourceQueues without --to).
// A message is sent before it is deleted: if the script stops in between, it is in both queues
// (at-least-once, like SQS itself); the workers' idempotent writes make that harmless.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageBatchRequestEntry,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";

export interface RedriveOptions {
  /** The dead-letter queue: its ARN or URL. */
  readonly dlq: string;
  /** Destination queue (ARN or URL). @default - the DLQ's source queue(s) */
  readonly to?: string;
  /** Skip StartMessageMoveTask. */
  readonly manual?: boolean;
  /** At most this many messages (manual mode; StartMessageMoveTask moves them all). */
  readonly max?: number;
  /** Return once the move task is started. */
  readonly noWait?: boolean;
  /** Bound of the wait for a move task. @default 900000 */
  readonly waitTimeoutMs?: number;
}

export interface RedriveReport {
  readonly mode: "move-task" | "manual";
  /** StartMessageMoveTask's handle. */
  readonly taskHandle?: string;
  /** Messages moved (manual: counted; move task: ApproximateNumberOfMessagesMoved). */
  readonly moved: number;
  /** Manual mode: messages the destination refused; they stay in the DLQ. */
  readonly failed: number;
  /** Why the move task was not used, when it was not. */
  readonly fallbackReason?: string;
}

interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

const ARN = /^arn:(aws[a-z-]*):sqs:([a-z0-9-]+):(\d{12}):(.+)$/;
/** What an endpoint answers for an action it does not implement. */
const UNSUPPORTED = new Set(["InvalidAction", "UnknownOperationException", "UnsupportedOperation", "NotImplemented", "InvalidActionException", "UnknownOperation"]);

export async function resolveQueue(sqs: SQSClient, arnOrUrl: string): Promise<QueueRef> {
  const arn = ARN.exec(arnOrUrl);
  if (arn) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: arn[4], QueueOwnerAWSAccountId: arn[3] }));
    return { url: QueueUrl as string, arn: arnOrUrl };
  }
  if (!/^https?:\/\//.test(arnOrUrl)) throw new Error(`${JSON.stringify(arnOrUrl)} is neither an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>) nor a queue URL`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: arnOrUrl, AttributeNames: ["QueueArn"] }));
  return { url: arnOrUrl, arn: Attributes?.QueueArn as string };
}

export async function redrive(sqs: SQSClient, options: RedriveOptions, log: (line: string) => void = () => undefined): Promise<RedriveReport> {
  const dlq = await resolveQueue(sqs, options.dlq);
  const to = options.to === undefined ? undefined : await resolveQueue(sqs, options.to);
  let fallbackReason: string | undefined;
  if (!options.manual) {
    try {
      const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: to?.arn }));
      log(`started message move task ${TaskHandle} from ${dlq.arn} to ${to?.arn ?? "its source queues"}`);
      if (options.noWait) return { mode: "move-task", taskHandle: TaskHandle, moved: 0, failed: 0 };
      return { mode: "move-task", taskHandle: TaskHandle, moved: await waitForMoveTask(sqs, dlq.arn, TaskHandle as string, options.waitTimeoutMs ?? 900_000, log), failed: 0 };
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      if (!UNSUPPORTED.has(name)) throw error;
      fallbackReason = `StartMessageMoveTask is not supported by this endpoint (${name}): moving the messages one batch at a time`;
      log(fallbackReason);
    }
  }
  const destination = to ?? (await onlySourceQueue(sqs, dlq));
  const { moved, failed } = await moveManually(sqs, dlq, destination, options.max ?? Number.POSITIVE_INFINITY, log);
  return { mode: "manual", moved, failed, fallbackReason };
}

async function onlySourceQueue(sqs: SQSClient, dlq: QueueRef): Promise<QueueRef> {
  let urls: string[];
  try {
    urls = (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }))).queueUrls ?? [];
  } catch (error) {
    throw new Error(`could not list the source queues of ${dlq.arn} (${(error as Error).name}); pass --to <queue-arn-or-url>`);
  }
  if (urls.length !== 1) throw new Error(`${dlq.arn} is the dead-letter queue of ${urls.length} queues; pass --to <queue-arn-or-url>`);
  return resolveQueue(sqs, urls[0]);
}

async function waitForMoveTask(sqs: SQSClient, sourceArn: string, handle: string, timeoutMs: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
    const task = Results.find((r) => r.TaskHandle === handle) ?? Results[0];
    if (task?.Status === "COMPLETED") return task.ApproximateNumberOfMessagesMoved ?? 0;
    if (task?.Status === "FAILED" || task?.Status === "CANCELLED") throw new Error(`message move task ${handle} ${task.Status}: ${task.FailureReason ?? "no reason given"}`);
    if (Date.now() > deadline) throw new Error(`message move task ${handle} still ${task?.Status ?? "unknown"} after ${timeoutMs} ms; follow it with aws sqs list-message-move-tasks --source-arn ${sourceArn}`);
    log(`move task ${task?.Status ?? "pending"}: ${task?.ApproximateNumberOfMessagesMoved ?? 0} of ${task?.ApproximateNumberOfMessagesToMove ?? "?"} moved`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function moveManually(sqs: SQSClient, dlq: QueueRef, destination: QueueRef, max: number, log: (line: string) => void): Promise<{ moved: number; failed: number }> {
  const fifo = destination.url.endsWith(".fifo");
  let moved = 0;
  let failed = 0;
  let emptyReceives = 0;
  // A short poll samples some of SQS's servers and may come back empty while messages remain; the
  // run ends on an empty long poll (which asks all of them).
  while (moved + failed < max && emptyReceives < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: Math.min(10, max - moved - failed),
        WaitTimeSeconds: emptyReceives === 0 ? 0 : 1,
        VisibilityTimeout: 120,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    if (Messages.length === 0) {
      emptyReceives++;
      continue;
    }
    emptyReceives = 0;
    const byId = new Map(Messages.map((m, i) => [String(i), m]));
    const { Successful = [], Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: destination.url, Entries: [...byId].map(([id, m]) => entryOf(id, m, fifo)) }));
    if (Successful.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlq.url, Entries: Successful.map((s) => ({ Id: s.Id, ReceiptHandle: byId.get(s.Id as string)?.ReceiptHandle })) }));
    }
    if (Failed.length > 0) {
      // Left in the DLQ, visible again for a later run.
      await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: dlq.url, Entries: Failed.map((f) => ({ Id: f.Id, ReceiptHandle: byId.get(f.Id as string)?.ReceiptHandle, VisibilityTimeout: 0 })) }));
      for (const f of Failed) log(`not moved: ${byId.get(f.Id as string)?.MessageId} (${f.Code}: ${f.Message ?? ""})`);
      // A refusal that would repeat forever (e.g. a policy) stops the run instead of spinning.
      if (Successful.length === 0) return { moved, failed: failed + Failed.length };
    }
    moved += Successful.length;
    failed += Failed.length;
    log(`moved ${moved} message(s) from ${dlq.arn} to ${destination.arn}`);
  }
  return { moved, failed };
}

function entryOf(id: string, message: Message, fifo: boolean): SendMessageBatchRequestEntry {
  return {
    Id: id,
    MessageBody: message.Body,
    MessageAttributes: message.MessageAttributes,
    ...(fifo ? { MessageGroupId: message.Attributes?.MessageGroupId ?? "redrive", MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? message.MessageId } : {}),
  };
}

export function parseArgs(argv: readonly string[]): RedriveOptions {
  const usage = "usage: npm run redrive -- <dlq-arn-or-url> [--to <queue-arn-or-url>] [--manual] [--max <n>] [--no-wait]";
  let dlq: string | undefined;
  let to: string | undefined;
  let manual = false;
  let noWait = false;
  let max: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--to") {
      to = argv[++i];
      if (to === undefined || to.startsWith("--")) throw new Error(`--to needs a queue ARN or URL\n${usage}`);
    }
    else if (arg === "--manual") manual = true;
    else if (arg === "--no-wait") noWait = true;
    else if (arg === "--max") {
      max = Number(argv[++i]);
      if (!Number.isInteger(max) || max < 1) throw new Error(`--max must be a positive integer\n${usage}`);
    } else if (arg === "--help" || arg === "-h") throw new Error(usage);
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}\n${usage}`);
    else if (dlq === undefined) dlq = arg;
    else throw new Error(`unexpected argument ${arg}\n${usage}`);
  }
  if (dlq === undefined) throw new Error(usage);
  return { dlq, to, manual, noWait, max };
}

async function main(): Promise<void> {
  let options: RedriveOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  // With an endpoint override (an emulator), address it rather than the host in the queue URL.
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  const sqs = new SQSClient(endpoint ? { endpoint } : {});
  try {
    const report = await redrive(sqs, options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (report.failed > 0) process.exitCode = 1;
  } catch (error) {
    process.stderr.write(`redrive failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    sqs.destroy();
  }
}

if (require.main === module) void main();
