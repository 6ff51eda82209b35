import { existsSync } from "node:fs";
import { createServer as createNetServer, AddressInfo, Socket } from "node:net";
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ASYNC_STATUS_RANK, AsyncRequestStatus } from "../../../modules/async-contract";
import { ASYNC_REQUEST_BUNDLE, asyncRequestEnv, functionUrlEvent, invokeAsyncRequest } from "../../../testing/async-request-bundle";
import { createQueue, createResultsTable, createTopicToQueue, drainQueue, LocalAwsClients, LocalQueue, startLocalAwsClients } from "../../../testing/local-async-resources";

// The deployable artifact itself (npm run build) in fresh Node processes, against dynalite
// (DynamoDB) and fauxqs (SNS -> SQS with raw delivery), both on 127.0.0.1.
const TABLE = "async-results";
const DOMAIN = "abc123.lambda-url.us-east-1.on.aws";

describe("built async-request bundle (dist/lambdas/async-request/index.js)", () => {
  let aws: LocalAwsClients;
  let queue: LocalQueue;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(ASYNC_REQUEST_BUNDLE)) throw new Error(`${ASYNC_REQUEST_BUNDLE} is missing: run npm run build (npm test does it first)`);
    aws = await startLocalAwsClients();
    await createResultsTable(aws.dynamodb, TABLE);
    queue = await createQueue(aws.sqs, "compute");
    const topicArn = await createTopicToQueue(aws.sns, "requests", queue.arn);
    env = asyncRequestEnv({ endpoints: aws.endpoints, tableName: TABLE, topicArn });
  }, 30_000);
  afterAll(() => aws?.stop());

  const submit = (body: unknown, extra: { idempotencyKey?: string; base64?: boolean } = {}) => functionUrlEvent({ method: "POST", path: "/requests", body, domainName: DOMAIN, ...extra });
  const status = (id: string) => functionUrlEvent({ method: "GET", path: `/requests/${id}`, domainName: DOMAIN });
  const item = async (id: string) => (await aws.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { requestId: { S: id } }, ConsistentRead: true }))).Item;

  test("GIVEN a new body WHEN submitted twice and read THEN one record, one message on the subscribed queue, and the status is queued", async () => {
    const body = { features: [1, 2, 3], case: "submit-twice" };
    const run = await invokeAsyncRequest({ env, events: [submit(body), submit(body)] });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    const [first, second] = run.responses;
    expect(first.statusCode).toBe(202);
    const id = first.body.requestId as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.body).toEqual({ requestId: id, status: "queued", statusUrl: `https://${DOMAIN}/requests/${id}` });
    expect(second.statusCode).toBe(202);
    expect(second.body).toMatchObject({ requestId: id, status: "queued" });

    const stored = await item(id);
    expect(stored).toMatchObject({ requestId: { S: id }, status: { S: "queued" }, statusRank: { N: "0" } });
    expect(Number(stored?.expiresAt.N) - Date.now() / 1000).toBeGreaterThan(604_800 - 60);

    const messages = await drainQueue(aws.sqs, queue.url);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0].Body as string)).toEqual({ requestId: id, payload: body, submittedAt: stored?.createdAt.S });

    const read = await invokeAsyncRequest({ env, events: [status(id)] });
    expect(read.responses[0]).toMatchObject({ statusCode: 200, body: { requestId: id, status: "queued" } });
    expect(read.logs).toContainEqual(expect.objectContaining({ level: "INFO", message: "request handled", statusCode: 200, lambdaRequestId: "local-0" }));
  });

  test("GIVEN a queued request WHEN a worker records its result with a forward-only conditional update THEN GET and a re-submit return the result", async () => {
    const body = { features: [4, 5], case: "worker" };
    const [accepted] = (await invokeAsyncRequest({ env, events: [submit(body, { idempotencyKey: "worker-case-1" })] })).responses;
    expect(accepted).toMatchObject({ statusCode: 202, body: { requestId: "worker-case-1" } });
    await drainQueue(aws.sqs, queue.url);

    // What a worker does (examples/async-worker): only ever move the record forward.
    const finish = (status: AsyncRequestStatus, result: string) =>
      aws.dynamodb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { requestId: { S: "worker-case-1" } },
          UpdateExpression: "SET #status = :status, #rank = :rank, #result = :result, #updatedAt = :now",
          ConditionExpression: "attribute_exists(#id) AND #rank < :rank",
          ExpressionAttributeNames: { "#id": "requestId", "#status": "status", "#rank": "statusRank", "#result": "result", "#updatedAt": "updatedAt" },
          ExpressionAttributeValues: {
            ":status": { S: status },
            ":rank": { N: String(ASYNC_STATUS_RANK[status]) },
            ":result": { S: result },
            ":now": { S: new Date().toISOString() },
          },
        }),
      );
    await finish(AsyncRequestStatus.SUCCEEDED, '{"label":"cat","score":0.97}');

    const run = await invokeAsyncRequest({ env, events: [status("worker-case-1"), submit(body, { idempotencyKey: "worker-case-1" }), submit(body, { idempotencyKey: "worker-case-1", base64: true })] });
    expect(run.responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(run.responses[0].body).toMatchObject({ status: "succeeded", result: { label: "cat", score: 0.97 } });
    expect(run.responses[1].body).toMatchObject({ status: "succeeded", result: { label: "cat", score: 0.97 } });
    expect(await drainQueue(aws.sqs, queue.url)).toHaveLength(0);
  });

  test("GIVEN bad inputs WHEN handled by the bundle THEN each gets its 4xx JSON error and nothing is queued", async () => {
    const run = await invokeAsyncRequest({
      env: { ...env, ASYNC_MAX_BODY_BYTES: "1024" },
      events: [
        functionUrlEvent({ method: "POST", path: "/requests", domainName: DOMAIN, headers: { "content-type": "application/json" } }),
        functionUrlEvent({ method: "POST", path: "/requests", body: "<xml/>", headers: { "content-type": "application/xml" } }),
        submit("{not json"),
        submit({ big: "x".repeat(2000) }),
        submit({ a: 1 }, { idempotencyKey: "no spaces allowed" }),
        status("never-submitted"),
        functionUrlEvent({ method: "DELETE", path: "/requests/x" }),
        functionUrlEvent({ method: "GET", path: "/admin" }),
        { hello: "world" },
      ],
    });
    expect(run.exitCode).toBe(0);
    expect(run.responses.map((r) => [r.statusCode, r.body.error?.code])).toEqual([
      [400, "MissingBody"],
      [415, "UnsupportedMediaType"],
      [400, "InvalidJson"],
      [413, "BodyTooLarge"],
      [400, "InvalidIdempotencyKey"],
      [404, "NotFound"],
      [405, "MethodNotAllowed"],
      [404, "RouteNotFound"],
      [400, "BadEvent"],
    ]);
    for (const r of run.responses) expect(r.body.error.message.length).toBeGreaterThan(20);
    expect(await drainQueue(aws.sqs, queue.url)).toHaveLength(0);
  });

  test("GIVEN a topic that does not exist WHEN a body is submitted THEN 503, and the record is gone so a retry starts clean", async () => {
    const body = { case: "publish-fails" };
    const run = await invokeAsyncRequest({ env: { ...env, ASYNC_REQUESTS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:missing" }, events: [submit(body)] });
    expect(run.responses[0].statusCode).toBe(503);
    expect(run.responses[0].body.error.code).toBe("ServiceUnavailable");
    expect(run.logs).toContainEqual(expect.objectContaining({ level: "ERROR", message: "could not publish the compute event", recordRemoved: true }));
    const id = run.logs.find((l) => l.message === "could not publish the compute event")?.requestId as string;
    expect(await item(id)).toBeUndefined();

    const retry = await invokeAsyncRequest({ env, events: [submit(body)] });
    expect(retry.responses[0]).toMatchObject({ statusCode: 202, body: { requestId: id } });
    expect(await drainQueue(aws.sqs, queue.url)).toHaveLength(1);
  });

  test("GIVEN AWS endpoints that accept connections but never answer WHEN a body is submitted THEN 503 JSON within the bounded timeouts", async () => {
    const sockets: Socket[] = [];
    const blackHole = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const run = await invokeAsyncRequest({ env: { ...env, AWS_ENDPOINT_URL_DYNAMODB: url, AWS_ENDPOINT_URL_SNS: url, ASYNC_AWS_TIMEOUT_MS: "300" }, events: [submit({ case: "black-hole" })] });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(run.exitCode).toBe(0);
      expect(run.responses[0]).toMatchObject({ statusCode: 503, body: { error: { code: "ServiceUnavailable" } }, headers: { "retry-after": "1" } });
      expect(sockets.length).toBeGreaterThanOrEqual(2);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  test("GIVEN a bad environment WHEN the bundle cold-starts THEN every request gets a 500 JSON answer and the log names each variable", async () => {
    const run = await invokeAsyncRequest({ env: { ASYNC_MAX_BODY_BYTES: "1000000" }, events: [submit({ a: 1 })] });
    expect(run.exitCode).toBe(0);
    expect(run.responses[0]).toMatchObject({ statusCode: 500, body: { error: { code: "Misconfigured" } } });
    const problems = run.logs.find((l) => l.message === "configuration invalid")?.problems as string[];
    expect(problems).toEqual([
      expect.stringMatching(/ASYNC_TABLE_NAME is not set/),
      expect.stringMatching(/ASYNC_REQUESTS_TOPIC_ARN is not set/),
      expect.stringMatching(/ASYNC_MAX_BODY_BYTES="1000000" must be an integer from 1 to 262144/),
    ]);
  });
});
