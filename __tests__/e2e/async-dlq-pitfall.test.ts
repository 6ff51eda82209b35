import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { createQueueWithDlq, drainQueue, LocalAwsClients, startLocalAwsClients, queueDepth } from "../../testing/local-async-resources";
import { runPollerModel } from "../../testing/lambda-sqs-poller";

// The dead-letter-queue pitfall of SQS -> Lambda, reproduced against a real SQS API (fauxqs):
// a function limited to 2 concurrent executions behind an event source mapping whose pollers keep
// receiving. Throttled receives count toward maxReceiveCount, so messages reach the DLQ without
// ever running. With maximum_concurrency the mapping receives only what it can run: no message
// is lost. testing/lambda-sqs-poller.ts explains the model.
const MESSAGES = 20;
const MAX_RECEIVE_COUNT = 3;
const MODEL = { pollers: 5, concurrency: 2, executionTicks: 3 } as const;

describe("the SQS -> Lambda dead-letter-queue pitfall (Lambda's poller modelled on a real SQS API)", () => {
  let aws: LocalAwsClients;
  beforeAll(async () => (aws = await startLocalAwsClients()), 20_000);
  afterAll(() => aws?.stop());

  async function scenario(name: string, maximumConcurrency?: number) {
    const { queue, dlq } = await createQueueWithDlq(aws.sqs, name, { visibilityTimeoutSeconds: 30, maxReceiveCount: MAX_RECEIVE_COUNT });
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `message-${String(i).padStart(2, "0")}`);
    for (let i = 0; i < bodies.length; i += 10) {
      await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })) }));
    }
    const run = await runPollerModel(aws.sqs, queue.url, { ...MODEL, maximumConcurrency });
    const dead = (await drainQueue(aws.sqs, dlq.url)).map((m) => m.Body ?? "");
    expect(await queueDepth(aws.sqs, queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    // Nothing lost: every message was processed or is in the DLQ, never both.
    expect([...run.processed, ...dead].sort()).toEqual(bodies);
    expect(dead.filter((b) => run.processed.includes(b))).toEqual([]);
    process.stdout.write(
      `[dlq-pitfall] ${name}: ${MESSAGES} messages, ${MODEL.pollers} pollers, reserved concurrency ${MODEL.concurrency}, maxReceiveCount ${MAX_RECEIVE_COUNT}, ` +
        `maximum_concurrency ${maximumConcurrency ?? "unset"}: processed ${run.processed.length}, in the DLQ unprocessed ${dead.length}, throttled receives ${run.throttledReceives}, ticks ${run.ticks}\n`,
    );
    return { run, dead };
  }

  test("GIVEN pollers that keep receiving while only 2 executions can run WHEN the backlog drains THEN throttled receives push messages into the DLQ without ever processing them", async () => {
    const { run, dead } = await scenario("without-maximum-concurrency");
    expect(run.throttledReceives).toBeGreaterThan(0);
    // Deterministic (one call at a time against the pinned emulator): 12 of the 20 messages end
    // in the DLQ without ever running, as in the source document's "half of them".
    expect(dead).toHaveLength(12);
    expect(run.processed.length).toBe(MESSAGES - dead.length);
  }, 20_000);

  test("GIVEN the same function with maximum_concurrency 2 on the event source mapping WHEN the backlog drains THEN every message is processed and the DLQ stays empty", async () => {
    const { run, dead } = await scenario("with-maximum-concurrency", MODEL.concurrency);
    expect(run.throttledReceives).toBe(0);
    expect(dead).toEqual([]);
    expect(run.processed).toHaveLength(MESSAGES);
  }, 20_000);
});
