import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ListMessageMoveTasksCommand, SendMessageBatchCommand, SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { createQueueWithDlq, drainQueue, LocalAwsClients, LocalQueue, startLocalAwsClients, queueDepth } from "../../testing/local-async-resources";
import { parseArgs, redrive } from "../../scripts/redrive";

const run = promisify(execFile);
const REPO = join(__dirname, "..", "..");

describe("npm run redrive: dead-letter queue back to its source queue", () => {
  let aws: LocalAwsClients;
  beforeAll(async () => (aws = await startLocalAwsClients()), 20_000);
  afterAll(() => aws?.stop());

  async function deadLetters(name: string, count: number): Promise<{ queue: LocalQueue; dlq: LocalQueue; bodies: string[] }> {
    const { queue, dlq } = await createQueueWithDlq(aws.sqs, name, { visibilityTimeoutSeconds: 30, maxReceiveCount: 2 });
    const bodies = Array.from({ length: count }, (_, i) => JSON.stringify({ requestId: `${name}-${i}`, payload: { i }, submittedAt: "2026-01-01T00:00:00.000Z" }));
    for (let i = 0; i < count; i += 10) {
      await aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: dlq.url,
          Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b, MessageAttributes: { origin: { DataType: "String", StringValue: "test" } } })),
        }),
      );
    }
    return { queue, dlq, bodies };
  }

  test("GIVEN 25 messages in a DLQ and an endpoint without StartMessageMoveTask WHEN redriven to the source queue THEN every message is back in the source queue once, with its attributes, and the DLQ is empty", async () => {
    const { queue, dlq, bodies } = await deadLetters("fallback", 25);
    const report = await redrive(aws.sqs, { dlq: dlq.arn, to: queue.url });
    expect(report).toMatchObject({ mode: "manual", moved: 25, failed: 0, fallbackReason: expect.stringContaining("StartMessageMoveTask is not supported") });
    const back = await drainQueue(aws.sqs, queue.url);
    expect(back.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    expect(back.every((m) => m.MessageAttributes?.origin?.StringValue === "test")).toBe(true);
    expect(await queueDepth(aws.sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }, 20_000);

  test("GIVEN --manual and --max 4 WHEN redriven THEN exactly 4 messages move and the rest stay in the DLQ", async () => {
    const { queue, dlq } = await deadLetters("limited", 9);
    expect(await redrive(aws.sqs, { dlq: dlq.url, to: queue.arn, manual: true, max: 4 })).toEqual({ mode: "manual", moved: 4, failed: 0, fallbackReason: undefined });
    expect((await queueDepth(aws.sqs, queue.url)).visible).toBe(4);
    expect((await queueDepth(aws.sqs, dlq.url)).visible).toBe(5);
  }, 20_000);

  test("GIVEN the npm script's command line WHEN run with a DLQ URL and --to THEN it moves the messages and prints its report", async () => {
    const { queue, dlq, bodies } = await deadLetters("cli", 3);
    const env = { PATH: process.env.PATH ?? "", ...aws.env };
    const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/redrive.ts", dlq.url, "--to", queue.arn], { cwd: REPO, env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toMatchObject({ mode: "manual", moved: 3, failed: 0 });
    expect((await drainQueue(aws.sqs, queue.url)).map((m) => m.Body).sort()).toEqual([...bodies].sort());
  }, 40_000);

  test("GIVEN no destination and an endpoint without ListDeadLetterSourceQueues WHEN redriven THEN it asks for --to and moves nothing", async () => {
    const { dlq } = await deadLetters("no-destination", 2);
    await expect(redrive(aws.sqs, { dlq: dlq.arn, manual: true })).rejects.toThrow(/pass --to <queue-arn-or-url>/);
    expect((await queueDepth(aws.sqs, dlq.url)).visible).toBe(2);
  }, 20_000);

  test.each([[[]], [["a", "b"]], [["a", "--max", "0"]], [["a", "--bogus"]], [["a", "--to"]]])("GIVEN the arguments %j WHEN parsed THEN the usage is the error", (argv) => {
    expect(() => parseArgs(argv)).toThrow(/usage: npm run redrive -- <dlq-arn-or-url>/);
  });

  test("GIVEN every option WHEN parsed THEN they are all read", () => {
    expect(parseArgs(["arn:aws:sqs:us-east-1:123456789012:d", "--to", "q", "--manual", "--max", "5", "--no-wait"])).toEqual({
      dlq: "arn:aws:sqs:us-east-1:123456789012:d",
      to: "q",
      manual: true,
      max: 5,
      noWait: true,
    });
  });

  test("GIVEN an endpoint with StartMessageMoveTask WHEN redriven THEN SQS's own move task is started to the source queues and followed until it completes", async () => {
    const sqs = new SQSClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const mock = mockClient(sqs);
    const dlqArn = "arn:aws:sqs:us-east-1:123456789012:infer-dlq";
    mock.resolves({ QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/infer-dlq" });
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ TaskHandle: "task-1", Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 7 }] });
    expect(await redrive(sqs, { dlq: dlqArn })).toEqual({ mode: "move-task", taskHandle: "task-1", moved: 7, failed: 0 });
    expect(mock.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({ SourceArn: dlqArn, DestinationArn: undefined });
    mock.restore();
  });
});
