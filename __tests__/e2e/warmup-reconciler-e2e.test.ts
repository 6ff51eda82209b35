import { createServer, Server } from "node:http";
import { closeNow, listenOnLoopback } from "../../testing/loopback-http";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LoopbackAws, startLoopbackAws } from "../../testing/loopback-aws";
import { LoopbackLambda, startLoopbackLambda } from "../../testing/loopback-lambda";
import { LocalAws, localClientConfig, startLocalAws } from "../../testing/local-aws-emulators";
import { BundleInvocation, WARMUP_BUNDLE, invokeBundle } from "../../testing/invoke-bundle";
import { lifecycleEvent } from "../lambdas/warmup/fakes";

// The two built bundles together on loopback: the reconciler (dist/lambdas/warmup-reconciler)
// reads the group from the Auto Scaling fake, its leases from dynalite and its dead letters from
// fauxqs, and invokes the warmup bundle through a fake Lambda Invoke API; the warmup bundle takes
// its lease in the same dynalite and completes the action on the Auto Scaling fake.
const RECONCILER_BUNDLE = join(__dirname, "..", "..", "dist", "lambdas", "warmup-reconciler", "index.js");
const TABLE = "fleet-warmup-claims";
const E2E_TIMEOUT_MS = 60_000;

interface FakeServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Two workers that take turns and name themselves; /health answers after `healthDelayMs`. */
async function startServer(healthDelayMs: number): Promise<FakeServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/health") {
        setTimeout(() => res.writeHead(200).end("ok"), healthDelayMs);
        return;
      }
      requests += 1;
      setTimeout(() => res.writeHead(200, { "content-type": "application/json", "X-Worker-Id": `w${requests % 2}` }).end('{"label":1}'), 5);
    });
  });
  return { port: await listenOnLoopback(server), close: () => closeNow(server) };
}

describe("warmup reconciler bundle on loopback AWS", () => {
  let aws: LoopbackAws;
  let local: LocalAws<"dynamodb" | "snsSqs">;
  let lambda: LoopbackLambda;
  let server: FakeServer;
  let queueUrl: string;
  const warmupRuns: BundleInvocation[] = [];

  const warmupEnv = () => ({
    ...local.env,
    WARMUP_PORT: String(server.port),
    WARMUP_AUTO_SCALING_GROUP_NAME: "fleet",
    WARMUP_CLAIMS_TABLE: TABLE,
    WARMUP_WORKERS: "2",
    WARMUP_CONCURRENCY: "4",
  });
  const runWarmup = async (event: unknown) => {
    const run = await invokeBundle({ event, awsEndpoint: aws.url, env: warmupEnv(), remainingMs: 30_000 });
    warmupRuns.push(run);
    return run;
  };
  const runReconciler = (stuckAfterSeconds: number) =>
    invokeBundle({
      bundle: RECONCILER_BUNDLE,
      event: {},
      awsEndpoint: aws.url,
      env: {
        ...local.env,
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
        RECONCILER_AUTO_SCALING_GROUP_NAME: "fleet",
        RECONCILER_LIFECYCLE_HOOK_NAME: "fleet-launch",
        RECONCILER_WARMUP_FUNCTION_NAME: "fleet-warmup",
        RECONCILER_CLAIMS_TABLE: TABLE,
        RECONCILER_DEAD_LETTER_QUEUE_URL: queueUrl,
        RECONCILER_STUCK_AFTER_SECONDS: String(stuckAfterSeconds),
      },
    });

  beforeAll(async () => {
    for (const bundle of [WARMUP_BUNDLE, RECONCILER_BUNDLE]) if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (npm test does it first)`);
    [aws, local, server] = await Promise.all([startLoopbackAws(), startLocalAws(["dynamodb", "snsSqs"]), startServer(1_000)]);
    lambda = await startLoopbackLambda((invocation) => runWarmup(invocation.payload));
    const dynamodb = new DynamoDBClient(localClientConfig(local.endpoints.dynamodb));
    await dynamodb.send(new CreateTableCommand({ TableName: TABLE, BillingMode: "PAY_PER_REQUEST", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }] }));
    const sqs = new SQSClient({ ...localClientConfig(local.endpoints.snsSqs), useQueueUrlAsEndpoint: false });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "fleet-warmup-dlq" }))).QueueUrl as string;
  }, 30_000);
  afterAll(async () => {
    await Promise.all([aws?.close(), local?.stop(), lambda?.close(), server?.close()]);
  });

  function waiting(instanceId: string, token: string, lifecycleState = "Pending:Wait"): void {
    aws.calls.length = 0;
    lambda.invocations.length = 0;
    warmupRuns.length = 0;
    aws.instances.set(instanceId, { instanceId, privateIpAddress: "127.0.0.1" });
    aws.lifecycle.set(instanceId, { lifecycleState, activeToken: token });
  }
  const completions = () => aws.calls.filter((c) => c.action === "CompleteLifecycleAction").map((c) => c.params);

  test(
    "GIVEN an instance left waiting with no event WHEN the reconciler runs THEN it invokes warmup, which completes the action by instance id",
    async () => {
      const instance = "i-0aaaaaaaaaaaaaaa1";
      waiting(instance, "token-a");
      const run = await runReconciler(0);
      await lambda.settled();
      expect(run.result).toMatchObject({ waiting: 1, stuck: [instance] });
      expect(lambda.invocations).toEqual([expect.objectContaining({ functionName: "fleet-warmup", invocationType: "Event", payload: expect.objectContaining({ source: "warmfleet.reconciler" }) })]);
      expect(completions()).toEqual([expect.objectContaining({ InstanceId: instance, LifecycleHookName: "fleet-launch", LifecycleActionResult: "CONTINUE" })]);
      expect(completions()[0].LifecycleActionToken).toBeUndefined();
      expect(aws.lifecycle.get(instance)?.lifecycleState).toBe("InService");
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "GIVEN a dead letter of an instance on its way into the warm pool WHEN the reconciler runs THEN warmup is re-driven for its current state and the queue is emptied",
    async () => {
      const instance = "i-0aaaaaaaaaaaaaaa2";
      waiting(instance, "token-b", "Warmed:Pending:Wait");
      const sqs = new SQSClient({ ...localClientConfig(local.endpoints.snsSqs), useQueueUrlAsEndpoint: false });
      const record = { version: "1.0", requestContext: { condition: "RetriesExhausted" }, requestPayload: lifecycleEvent({ EC2InstanceId: instance, Origin: "EC2", Destination: "WarmPool" }) };
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not a lifecycle event" }));
      const run = await runReconciler(3600);
      await lambda.settled();
      expect(run.result).toMatchObject({ stuck: [], deadLetters: { received: 2, redriven: 1, deleted: 2, kept: 0 } });
      expect(warmupRuns[0].result).toMatchObject({ outcome: "prepared" });
      expect(completions()).toEqual([expect.objectContaining({ InstanceId: instance, LifecycleActionResult: "CONTINUE" })]);
      expect(aws.lifecycle.get(instance)?.lifecycleState).toBe("Warmed:Stopped");
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
      expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "GIVEN the event and a reconciled run of one instance at once WHEN both run against one DynamoDB THEN the action is completed exactly once and the other run is skipped",
    async () => {
      const instance = "i-0aaaaaaaaaaaaaaa3";
      waiting(instance, "token-c");
      const reconciled = { ...lifecycleEvent(), source: "warmfleet.reconciler", detail: { ...(lifecycleEvent({ EC2InstanceId: instance }).detail as object), LifecycleActionToken: undefined } };
      const [byEvent, byReconciler] = await Promise.all([runWarmup(lifecycleEvent({ EC2InstanceId: instance, LifecycleActionToken: "token-c" })), runWarmup(reconciled)]);
      expect(completions()).toHaveLength(1);
      const outcomes = [byEvent.result?.outcome, byReconciler.result?.outcome];
      expect(outcomes.filter((o) => o === "skipped")).toHaveLength(1);
      expect(aws.lifecycle.get(instance)?.lifecycleState).toBe("InService");
      // The winner gave its lease back: the next run of this instance is not blocked by it.
      const dynamodb = new DynamoDBClient(localClientConfig(local.endpoints.dynamodb));
      expect((await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `claim#${instance}` } }, ConsistentRead: true }))).Item).toBeUndefined();
    },
    E2E_TIMEOUT_MS,
  );
});
