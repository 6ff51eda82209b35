import { existsSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import {
  createQueue,
  createQueueWithDlq,
  createResultsTable,
  createTopicToQueue,
  drainQueue,
  LocalAwsClients,
  LocalQueue,
  queueDepth,
  startLocalAwsClients,
  waitUntil,
} from "../../testing/local-async-resources";
import { invokeLambdaWorker, RunningWorker, startPythonWorker, WorkerLog } from "../../testing/python-workers";
import { ASYNC_REQUEST_BUNDLE, AsyncRequestResponse, asyncRequestEnv, functionUrlEvent, startWarmBundle, WarmBundle } from "../../testing/async-request-bundle";

// The whole asynchronous path on loopback: the built request bundle (two warm "execution
// environments") -> DynamoDB (dynalite) + SNS -> raw subscription -> SQS with a DLQ (fauxqs) ->
// two real examples/async-worker/worker.py processes (Debian's python3-boto3) -> results in
// DynamoDB and completion events on a second topic. Also the Lambda-worker variant's batch
// handler. Who marks a poison request failed: the worker, on the last receive the queue's redrive
// policy allows (ApproximateReceiveCount >= maxReceiveCount); it then releases the message and SQS
// moves it to the DLQ on its next receive.
const TABLE = "async-results";
const VISIBILITY_TIMEOUT_SECONDS = 3;
const MAX_RECEIVE_COUNT = 2;
const MAX_BODY_BYTES = 2048;
// Bounds for a loaded 2-core CI machine; a quiet run takes 3 to 6 s per test.
const TEST_TIMEOUT_MS = 45_000;

describe("asynchronous inference end to end on loopback (request bundle, SNS -> SQS + DLQ, Python workers)", () => {
  let aws: LocalAwsClients;
  let queue: LocalQueue;
  let dlq: LocalQueue;
  let completions: LocalQueue;
  let workerEnv: Record<string, string>;
  let bundles: WarmBundle[] = [];
  let workers: RunningWorker[] = [];
  let agent: Server | undefined;
  const protectionCalls: Array<{ worker: string; enabled: boolean }> = [];

  beforeAll(async () => {
    if (!existsSync(ASYNC_REQUEST_BUNDLE)) throw new Error(`${ASYNC_REQUEST_BUNDLE} is missing: run npm run build`);
    aws = await startLocalAwsClients();
    await createResultsTable(aws.dynamodb, TABLE);
    ({ queue, dlq } = await createQueueWithDlq(aws.sqs, "inference-requests", { visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, maxReceiveCount: MAX_RECEIVE_COUNT }));
    const requestsTopic = await createTopicToQueue(aws.sns, "inference-requests", queue.arn);
    completions = await createQueue(aws.sqs, "inference-completions-probe");
    const completionsTopic = await createTopicToQueue(aws.sns, "inference-completions", completions.arn);

    const env = asyncRequestEnv({ endpoints: aws.endpoints, tableName: TABLE, topicArn: requestsTopic, maxBodyBytes: MAX_BODY_BYTES, resultTtlSeconds: 3600 });
    // One after the other, so that a failed start leaves the started one in `bundles` for afterAll.
    for (let i = 0; i < 2; i++) bundles.push(await startWarmBundle({ env }));

    // A stand-in for the ECS agent's task protection endpoint: records each worker's PUTs.
    agent = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const worker = (req.url ?? "").split("/")[1];
        if (req.method === "PUT" && req.url?.endsWith("/task-protection/v1/state")) {
          protectionCalls.push({ worker, enabled: JSON.parse(body).ProtectionEnabled === true });
          res.writeHead(200, { "content-type": "application/json" }).end('{"protection":{}}');
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => agent?.listen(0, "127.0.0.1", resolve));
    const agentUrl = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;

    workerEnv = {
      ...aws.env,
      ASYNC_QUEUE_URL: queue.url,
      ASYNC_TABLE_NAME: TABLE,
      ASYNC_COMPLETIONS_TOPIC_ARN: completionsTopic,
      ASYNC_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT_SECONDS),
      ASYNC_RESULT_TTL_SECONDS: "3600",
      MODEL_SECONDS: "0.2",
      WORKER_STOP_GRACE_SECONDS: "0.5",
    };
    workers = ["w1", "w2"].map((name) => startPythonWorker(name, { ...workerEnv, ECS_AGENT_URI: `${agentUrl}/${name}` }));
    await Promise.all(workers.map((w) => w.waitForLog((l) => l.event === "worker-started", 20_000, "its start")));
  }, 45_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(bundles.map((b) => b.stop()));
    await new Promise<void>((resolve) => (agent ? agent.close(() => resolve()) : resolve()));
    await aws?.stop();
  });

  const allLogs = (): WorkerLog[] => workers.flatMap((w) => w.logs);
  const logsOf = (event: string, requestId?: string) => allLogs().filter((l) => l.event === event && (requestId === undefined || l.requestId === requestId));

  const post = (body: string | undefined, headers: Record<string, string> = { "content-type": "application/json" }, bundle = 0): Promise<AsyncRequestResponse> =>
    bundles[bundle].invoke(functionUrlEvent({ method: "POST", path: "/requests", body, headers }));
  const get = (requestId: string): Promise<AsyncRequestResponse> => bundles[1].invoke(functionUrlEvent({ method: "GET", path: `/requests/${requestId}` }));

  async function statusOf(requestId: string): Promise<string | undefined> {
    const { Item } = await aws.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { requestId: { S: requestId } }, ConsistentRead: true }));
    return Item?.status?.S;
  }

  test(
    "GIVEN 25 submissions (distinct, duplicates, an idempotency key, a poison payload, bad ones), malformed messages and a redelivery WHEN two workers drain the queue THEN each accepted request is computed exactly once, results are readable, the poison request is failed and in the DLQ, nothing is lost",
    async () => {
      const distinct = Array.from({ length: 12 }, (_, i) => JSON.stringify({ features: [i, i / 2], input: i }));
      const poison = JSON.stringify({ fail: true, input: "poison" });
      const keyed = JSON.stringify({ features: [9, 9], input: "keyed" });

      // Every distinct body, its duplicates (4, sent concurrently on the other environment), the
      // keyed request twice, the poison one: all at once.
      const accepted = await Promise.all([
        ...distinct.map((body, i) => post(body, undefined, i % 2)),
        ...distinct.slice(0, 4).map((body, i) => post(body, undefined, (i + 1) % 2)),
        post(keyed, { "content-type": "application/json", "idempotency-key": "client-key-0001" }, 0),
        post(keyed, { "content-type": "application/json", "idempotency-key": "client-key-0001" }, 1),
        post(poison),
      ]);
      // The bad ones: refused with a JSON error, never queued.
      const refused = await Promise.all([
        post(undefined),
        post("just text", { "content-type": "text/plain" }),
        post(JSON.stringify({ blob: "x".repeat(MAX_BODY_BYTES) })),
        post("{not json", { "content-type": "application/json" }),
        post(keyed, { "content-type": "application/json", "idempotency-key": "bad key!" }),
        post(JSON.stringify({ other: true }), { "content-type": "application/json", "idempotency-key": "client-key-0001" }),
      ]);
      expect(accepted.length + refused.length).toBe(25);

      for (const answer of accepted) expect([200, 202]).toContain(answer.statusCode);
      const idOf = (i: number) => accepted[i].body.requestId as string;
      const distinctIds = distinct.map((_, i) => idOf(i));
      expect(new Set(distinctIds).size).toBe(12);
      for (let i = 0; i < 4; i++) expect(idOf(12 + i)).toBe(distinctIds[i]); // duplicates: the same id
      expect(idOf(16)).toBe("client-key-0001");
      expect(idOf(17)).toBe("client-key-0001");
      const poisonId = idOf(18);
      expect(refused.map((r) => r.statusCode)).toEqual([400, 415, 413, 400, 400, 409]);
      expect(refused.map((r) => r.body.error?.code)).toEqual(["MissingBody", "UnsupportedMediaType", "BodyTooLarge", "InvalidJson", "InvalidIdempotencyKey", "IdempotencyKeyReused"]);

      // Messages that are not compute events, straight into the queue: permanent failures, deleted.
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: "not a compute event" }));
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify({ requestId: "malformed-0001", submittedAt: "2026-01-01T00:00:00Z" }) }));

      const succeededIds = [...distinctIds, "client-key-0001"];
      await waitUntil(
        async () => {
          const statuses = await Promise.all([...succeededIds, poisonId].map(statusOf));
          if (statuses.slice(0, -1).some((s) => s !== "succeeded") || statuses[statuses.length - 1] !== "failed") return false;
          const [main, dead] = await Promise.all([queueDepth(aws.sqs, queue.url), queueDepth(aws.sqs, dlq.url)]);
          return main.visible + main.inFlight + main.delayed === 0 && dead.visible === 1;
        },
        30_000,
        "every request finished and the queue drained",
        100,
      );

      // Exactly one computation per distinct request, and one compute event (message) per id:
      // a second message would show up as a first receive (receiveCount 1) of the same id.
      for (const id of succeededIds) {
        expect(logsOf("computed", id)).toHaveLength(1);
        const firstReceives = allLogs().filter((l) => l.requestId === id && l.receiveCount === 1 && ["started", "duplicate"].includes(l.event));
        expect(firstReceives).toHaveLength(1);
      }
      expect(logsOf("computed")).toHaveLength(succeededIds.length);

      // The poison request: tried maxReceiveCount times, marked failed on the last, then in the DLQ.
      // (Sorted: the two attempts may come from different workers, whose logs are concatenated.)
      const attempts = logsOf("compute-failed", poisonId).sort((a, b) => Number(a.receiveCount) - Number(b.receiveCount));
      expect(attempts.map((a) => [a.receiveCount, a.final])).toEqual([
        [1, false],
        [2, true],
      ]);
      const dead = await drainQueue(aws.sqs, dlq.url);
      expect(dead.map((m) => JSON.parse(m.Body ?? "{}").requestId)).toEqual([poisonId]);

      // Results readable through the request function: GET, and a repeated POST answers at once.
      for (const id of succeededIds) {
        const answer = await get(id);
        expect(answer.statusCode).toBe(200);
        expect(answer.body).toMatchObject({ requestId: id, status: "succeeded", result: { model: "example-v1", digest: expect.stringMatching(/^[0-9a-f]{16}$/) } });
      }
      expect(await get(poisonId)).toMatchObject({ statusCode: 200, body: { status: "failed", error: expect.stringContaining("fail") } });
      const again = await post(distinct[0]);
      expect(again).toMatchObject({ statusCode: 200, body: { requestId: distinctIds[0], status: "succeeded" } });
      expect(await get("never-submitted-0000")).toMatchObject({ statusCode: 404 });

      // One completion event per request, with its final status.
      const done = (await drainQueue(aws.sqs, completions.url)).map((m) => JSON.parse(m.Body ?? "{}"));
      expect(done.filter((d) => d.status === "succeeded").map((d) => d.requestId).sort()).toEqual([...succeededIds].sort());
      expect(done.filter((d) => d.status === "failed").map((d) => d.requestId).sort()).toEqual([poisonId, "malformed-0001"].sort());

      // The malformed ones: reported once each, the one with an id marked failed, neither retried.
      expect(logsOf("malformed").map((l) => l.requestId ?? null).sort()).toEqual([null, "malformed-0001"].sort());
      expect(await statusOf("malformed-0001")).toBe("failed");

      // A duplicate delivery of a finished request (SQS delivers at least once): no second computation.
      const redelivery = JSON.stringify({ requestId: distinctIds[1], payload: JSON.parse(distinct[1]), submittedAt: new Date().toISOString() });
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: redelivery }));
      await waitUntil(() => logsOf("duplicate", distinctIds[1]).length === 1, 5_000, "the duplicate delivery to be handled");
      await waitUntil(async () => (await queueDepth(aws.sqs, queue.url)).inFlight === 0, 5_000, "the duplicate to be deleted");
      expect(logsOf("computed", distinctIds[1])).toHaveLength(1);
      expect(await queueDepth(aws.sqs, queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      // Task scale-in protection: on while each worker had work, off again once it found none.
      await waitUntil(
        () => workers.every((w) => protectionCalls.filter((c) => c.worker === w.name).at(-1)?.enabled !== true),
        5_000,
        "protection released by idle workers",
      );
      expect(protectionCalls.filter((c) => c.enabled).length).toBeGreaterThan(0);
      expect(workers.every((w) => w.stderr() === "")).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "GIVEN two messages of one request delivered at the same time to the two workers WHEN both process them THEN one takes the lease and computes, the other logs leased-elsewhere, keeps its message and deletes it as a duplicate later: one computation, one result, one completion",
    async () => {
      await drainQueue(aws.sqs, completions.url); // completions of earlier tests
      const id = "concurrent-lease-0001";
      // Longer than a heartbeat interval (1 s), shorter than the visibility timeout: both deliveries overlap.
      const body = JSON.stringify({ requestId: id, payload: { seconds: 1.5, input: "concurrent" }, submittedAt: new Date().toISOString() });
      const began = Date.now();
      await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: "a", MessageBody: body }, { Id: "b", MessageBody: body }] }));
      const settled = async () => {
        const depth = await queueDepth(aws.sqs, queue.url);
        return depth.visible + depth.inFlight + depth.delayed === 0;
      };
      await waitUntil(
        async () => (await statusOf(id)) === "succeeded" && (await settled()),
        9_000,
        "the request to succeed and both messages to be deleted",
        100,
      );
      expect(Date.now() - began).toBeLessThan(9_000);

      // Both workers received one message at the first receive; only one computed.
      const [leased] = logsOf("leased-elsewhere", id);
      expect(leased).toMatchObject({ receiveCount: 1 });
      const [started] = logsOf("started", id);
      expect(logsOf("started", id)).toHaveLength(1);
      expect(started.worker).not.toBe(leased.worker);
      expect(logsOf("computed", id)).toHaveLength(1);
      // The kept message came back after the lease and was a no-op duplicate (deleted, not in the DLQ).
      expect(logsOf("duplicate", id)).toEqual([expect.objectContaining({ worker: leased.worker, receiveCount: 2 })]);
      expect(await queueDepth(aws.sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      // One stored result, lease gone; one completion.
      const { Item } = await aws.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { requestId: { S: id } }, ConsistentRead: true }));
      expect(Item?.status?.S).toBe("succeeded");
      expect(JSON.parse(Item?.result?.S ?? "{}")).toMatchObject({ model: "example-v1" });
      expect(Item?.leaseUntil).toBeUndefined();
      expect(Item?.leaseOwner).toBeUndefined();
      const done = (await drainQueue(aws.sqs, completions.url)).map((m) => JSON.parse(m.Body ?? "{}"));
      expect(done.filter((d) => d.requestId === id)).toEqual([expect.objectContaining({ requestId: id, status: "succeeded" })]);
      expect(workers.every((w) => w.stderr() === "")).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "GIVEN a worker in the middle of a slow message WHEN it gets SIGTERM THEN it releases the message within its grace period and exits 0, and the other worker finishes it once",
    async () => {
      // Longer than the visibility timeout: without the heartbeat, the message would come back
      // while it runs (a third receive, over maxReceiveCount: the DLQ).
      const slow = await post(JSON.stringify({ seconds: 4, input: "slow" }));
      expect(slow.statusCode).toBe(202);
      const id = slow.body.requestId as string;
      const startedIt = (w: RunningWorker) => w.logs.some((l) => l.event === "started" && l.requestId === id);
      await waitUntil(() => workers.some(startedIt), 10_000, "a worker to start the slow request");
      const started = workers.find(startedIt) as RunningWorker;
      const other = workers.find((w) => w !== started) as RunningWorker;
      const signalled = Date.now();
      started.child.kill("SIGTERM");
      expect(await started.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5_000); // grace 0.5 s, not the 4-second computation
      expect(started.logs.map((l) => l.event)).toEqual(expect.arrayContaining(["stopping", "released", "worker-stopped"]));
      expect(started.logs.some((l) => l.event === "computed" && l.requestId === id)).toBe(false);

      const finished = await other.waitForLog((l) => l.event === "computed" && l.requestId === id, 15_000, "the released request");
      expect(finished.receiveCount).toBe(2);
      expect(await statusOf(id)).toBe("succeeded");
      expect(logsOf("computed", id)).toHaveLength(1);

      // An idle worker stops at once: SIGTERM ends its 20-second long poll.
      await waitUntil(async () => (await queueDepth(aws.sqs, queue.url)).inFlight === 0, 5_000, "the queue to settle");
      const idleSignal = Date.now();
      other.child.kill("SIGTERM");
      expect(await other.exited).toBe(0);
      expect(Date.now() - idleSignal).toBeLessThan(5_000); // not the rest of a 20-second long poll
      expect(await queueDepth(aws.sqs, queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await queueDepth(aws.sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "GIVEN an SQS batch with a good, a failing, a malformed and an already finished record WHEN the Lambda worker handles it THEN only the failing record is reported in batchItemFailures",
    async () => {
      const finishedId = (await post(JSON.stringify({ features: [0, 0], input: 0 }))).body.requestId as string;
      expect(await statusOf(finishedId)).toBe("succeeded");
      const record = (messageId: string, body: string, receiveCount = "1") => ({
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: String(Date.now()) },
        messageAttributes: {},
        eventSource: "aws:sqs",
        eventSourceARN: queue.arn,
        awsRegion: "us-east-1",
      });
      const event = {
        Records: [
          record("m-good", JSON.stringify({ requestId: "lambda-good-1", payload: { input: "lambda" }, submittedAt: new Date().toISOString() })),
          record("m-fail", JSON.stringify({ requestId: "lambda-fail-1", payload: { fail: true }, submittedAt: new Date().toISOString() })),
          record("m-malformed", "this is not a compute event"),
          record("m-finished", JSON.stringify({ requestId: finishedId, payload: { input: 0 }, submittedAt: new Date().toISOString() })),
        ],
      };
      const run = await invokeLambdaWorker(event, { ...workerEnv, MODEL_SECONDS: "0" });
      expect(run.stderr).toBe("");
      expect(run.result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-fail" }] });
      expect(run.logs.filter((l) => l.event === "computed").map((l) => l.requestId)).toEqual(["lambda-good-1"]);
      expect(run.logs.filter((l) => l.event === "duplicate").map((l) => l.requestId)).toEqual([finishedId]);
      expect(await statusOf("lambda-good-1")).toBe("succeeded");
      expect(await statusOf("lambda-fail-1")).toBe("running");

      // The same failing record on its last allowed receive: marked failed, still reported.
      const last = await invokeLambdaWorker({ Records: [record("m-fail", event.Records[1].body, String(MAX_RECEIVE_COUNT))] }, { ...workerEnv, MODEL_SECONDS: "0" });
      expect(last.result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-fail" }] });
      expect(await statusOf("lambda-fail-1")).toBe("failed");
    },
    TEST_TIMEOUT_MS,
  );
  test(
    "GIVEN a request another delivery holds the lease of WHEN the Lambda worker gets its record THEN it reports the record without computing; once the lease has expired it computes",
    async () => {
      const id = "lambda-leased-1";
      const now = Math.floor(Date.now() / 1000);
      const runningRecord = (leaseUntil: number) => ({
        requestId: { S: id },
        status: { S: "running" },
        statusRank: { N: "1" },
        createdAt: { S: new Date().toISOString() },
        leaseUntil: { N: String(leaseUntil) },
        leaseOwner: { S: "another-delivery" },
      });
      await aws.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: runningRecord(now + 600) }));
      const event = { Records: [{ messageId: "m-leased", receiptHandle: "h", body: JSON.stringify({ requestId: id, payload: { input: "leased" }, submittedAt: new Date().toISOString() }), attributes: { ApproximateReceiveCount: "1" } }] };
      const held = await invokeLambdaWorker(event, { ...workerEnv, MODEL_SECONDS: "0" });
      expect(held.stderr).toBe("");
      expect(held.result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-leased" }] });
      expect(held.logs.map((l) => l.event)).toContain("leased-elsewhere");
      expect(held.logs.some((l) => l.event === "started" || l.event === "computed")).toBe(false);
      expect(await statusOf(id)).toBe("running");

      await aws.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: runningRecord(now - 1) }));
      const expired = await invokeLambdaWorker(event, { ...workerEnv, MODEL_SECONDS: "0" });
      expect(expired.result).toEqual({ batchItemFailures: [] });
      expect(expired.logs.filter((l) => l.event === "computed").map((l) => l.requestId)).toEqual([id]);
      expect(await statusOf(id)).toBe("succeeded");
    },
    TEST_TIMEOUT_MS,
  );
});
