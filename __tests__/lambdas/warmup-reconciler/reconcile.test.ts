import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeWarmPoolCommand } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadReconcilerConfig } from "../../../lambdas/warmup-reconciler/config";
import { destinationOf, reconcile, reconcilerEvent } from "../../../lambdas/warmup-reconciler/reconcile";
import { parseLifecycleEvent } from "../../../lambdas/warmup/event";
import { memoryLogger } from "../support/memory-logger";
import { lifecycleEvent } from "../warmup/fakes";

const autoScaling = mockClient(AutoScalingClient);
const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
const NOW = 1_700_000_000_000;
const QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/fleet-warmup-dlq";
const config = loadReconcilerConfig({
  RECONCILER_AUTO_SCALING_GROUP_NAME: "fleet",
  RECONCILER_LIFECYCLE_HOOK_NAME: "fleet-launch",
  RECONCILER_WARMUP_FUNCTION_NAME: "fleet-warmup",
  RECONCILER_CLAIMS_TABLE: "fleet-warmup-claims",
  RECONCILER_DEAD_LETTER_QUEUE_URL: QUEUE,
  RECONCILER_STUCK_AFTER_SECONDS: "120",
});

interface World {
  /** Instances of the group: id -> lifecycle state. */
  group?: Record<string, string>;
  /** Instances of the warm pool: id -> lifecycle state. */
  pool?: Record<string, string>;
  /** Instances whose lease is held, with its expiry in epoch seconds. */
  leases?: Record<string, number>;
  /** Instances first seen this many ms ago. */
  seenAgoMs?: Record<string, number>;
  /** Bodies in the dead-letter queue. */
  deadLetters?: (string | undefined)[];
}

function arrange(world: World = {}) {
  for (const mock of [autoScaling, dynamodb, lambda, sqs]) mock.reset();
  const instances = (states: Record<string, string> = {}) => Object.entries(states).map(([InstanceId, LifecycleState]) => ({ InstanceId, LifecycleState }));
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: "fleet", Instances: instances(world.group) } as never] });
  autoScaling.on(DescribeWarmPoolCommand).resolves({ Instances: instances(world.pool) as never });
  dynamodb.on(GetItemCommand).callsFake((input: { Key: { pk: { S: string } } }) => {
    const id = input.Key.pk.S.replace("claim#", "");
    const expiresAt = world.leases?.[id];
    return expiresAt === undefined ? {} : { Item: { pk: { S: input.Key.pk.S }, expiresAt: { N: String(expiresAt) } } };
  });
  dynamodb.on(UpdateItemCommand).callsFake((input: { Key: { pk: { S: string } } }) => {
    const id = input.Key.pk.S.split("#")[1];
    return { Attributes: { firstSeen: { N: String(NOW - (world.seenAgoMs?.[id] ?? 0)) } } };
  });
  lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  const bodies = (world.deadLetters ?? []).map((Body, i) => ({ MessageId: `m-${i}`, ReceiptHandle: `r-${i}`, Body }));
  sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: bodies }).resolves({ Messages: [] });
  sqs.on(DeleteMessageCommand).resolves({});
  const log = memoryLogger();
  const run = () =>
    reconcile({ config, autoScaling: new AutoScalingClient({}), dynamodb: new DynamoDBClient({}), lambda: new LambdaClient({}), sqs: new SQSClient({}), now: () => NOW, log });
  return { run, log };
}

/** The events the warmup function was invoked with. */
function invocations(): Record<string, any>[] {
  return lambda.commandCalls(InvokeCommand).map((call) => JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString("utf8")));
}

const A = "i-0aaaaaaaaaaaaaaaa";
const B = "i-0bbbbbbbbbbbbbbbb";

describe("reconcile", () => {
  describe("waiting instances", () => {
    test("GIVEN an instance waiting past the threshold with no lease WHEN reconciled THEN warmup is invoked asynchronously for it, by instance id", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 180_000 } });
      const summary = await run();
      expect(summary.stuck).toEqual([A]);
      expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: "fleet-warmup", InvocationType: "Event" });
      const [event] = invocations();
      expect(event.source).toBe("warmfleet.reconciler");
      expect(event.detail).toMatchObject({ EC2InstanceId: A, AutoScalingGroupName: "fleet", LifecycleHookName: "fleet-launch", Destination: "AutoScalingGroup" });
      expect(event.detail.LifecycleActionToken).toBeUndefined();
    });

    test("GIVEN an instance waiting for less than the threshold WHEN reconciled THEN it is left to the event path", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 30_000 } });
      const summary = await run();
      expect(summary).toMatchObject({ waiting: 1, stuck: [], oldestWaitSeconds: 30 });
      expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
    });

    test("GIVEN a stuck instance whose lease is held by a live run WHEN reconciled THEN nothing is invoked (warmup in progress elsewhere)", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 600_000 }, leases: { [A]: NOW / 1000 + 300 } });
      const summary = await run();
      expect(summary).toMatchObject({ inProgress: 1, stuck: [] });
      expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
    });

    test("GIVEN a lease that lapsed (its function was killed at its timeout) WHEN reconciled THEN the instance counts as stuck", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 600_000 }, leases: { [A]: NOW / 1000 - 5 } });
      expect((await run()).stuck).toEqual([A]);
    });

    test("GIVEN instances in service, terminating or stopped in the pool WHEN reconciled THEN none of them is touched", async () => {
      const { run } = arrange({ group: { [A]: "InService", [B]: "Terminating:Wait" }, pool: { "i-0ccccccccccccccccc": "Warmed:Stopped" } });
      const summary = await run();
      expect(summary.waiting).toBe(0);
      expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
      expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
    });

    test("GIVEN an instance of the warm pool stuck in Warmed:Pending:Wait WHEN reconciled THEN its warmup is sent to the warm pool destination", async () => {
      const { run } = arrange({ pool: { [B]: "Warmed:Pending:Wait" }, seenAgoMs: { [B]: 300_000 } });
      await run();
      expect(invocations()[0].detail).toMatchObject({ EC2InstanceId: B, Destination: "WarmPool" });
    });

    test("GIVEN a stuck instance WHEN reconciled THEN its first sighting is recorded per state, only if absent, with an expiry", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" } });
      await run();
      expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
        TableName: "fleet-warmup-claims",
        Key: { pk: { S: `seen#${A}#Pending:Wait` } },
        UpdateExpression: "SET #firstSeen = if_not_exists(#firstSeen, :now), #expiresAt = :expiresAt",
      });
    });

    test("GIVEN one run WHEN it ends THEN it logs an embedded metrics document with the stuck and waiting counts", async () => {
      const { run, log } = arrange({ group: { [A]: "Pending:Wait", [B]: "Pending:Wait" }, seenAgoMs: { [A]: 200_000, [B]: 10_000 } });
      await run();
      const doc = JSON.parse(log.raws[0]);
      expect(doc).toMatchObject({ AutoScalingGroupName: "fleet", WaitingInstances: 2, StuckInstances: 1, OldestWaitSeconds: 200 });
      expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe("Warmfleet/Warmup");
    });

    test("GIVEN the invocation fails for one stuck instance WHEN reconciled THEN the others are still handled and the error is logged", async () => {
      const { run, log } = arrange({ group: { [A]: "Pending:Wait", [B]: "Pending:Wait" }, seenAgoMs: { [A]: 200_000, [B]: 200_000 } });
      lambda.on(InvokeCommand).rejectsOnce(new Error("Rate exceeded")).resolves({ StatusCode: 202 });
      const summary = await run();
      expect(summary.stuck).toEqual([A, B]);
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 2);
      expect(log.lines).toContainEqual(expect.objectContaining({ level: "ERROR", message: "could not invoke warmup", error: "Rate exceeded" }));
    });
  });

  describe("destination of a waiting instance", () => {
    test.each([
      ["Pending:Wait", "AutoScalingGroup"],
      ["Warmed:Pending:Wait", "WarmPool"],
      ["InService", undefined],
      ["Warmed:Stopped", undefined],
      ["Pending:Proceed", undefined],
    ])("GIVEN state %s WHEN mapped THEN the destination is %s", (state, destination) => {
      expect(destinationOf(state)).toBe(destination);
    });

    test.each(["Pending:Wait", "Warmed:Pending:Wait"])("GIVEN a reconciler event for %s WHEN the warmup function parses it THEN it is an action without a token", (state) => {
      const parsed = parseLifecycleEvent(reconcilerEvent(config, A, state, "test", NOW));
      expect(parsed).toMatchObject({ kind: "action", action: { instanceId: A, token: undefined, destination: destinationOf(state) } });
    });
  });

  test("GIVEN a reconciler event that carries a token WHEN the warmup function parses it THEN it is ignored: only Auto Scaling's events have tokens", () => {
    const event = reconcilerEvent(config, A, "Pending:Wait", "test", NOW) as { detail: Record<string, unknown> };
    expect(parseLifecycleEvent({ ...event, detail: { ...event.detail, LifecycleActionToken: "forged" } })).toEqual({ kind: "ignored", reason: "a reconciler event carries no LifecycleActionToken" });
  });

  describe("dead letters", () => {
    const ruleTargetLetter = (instanceId: string, group = "fleet") => JSON.stringify(lifecycleEvent({ EC2InstanceId: instanceId, AutoScalingGroupName: group, Origin: "EC2", Destination: "WarmPool" }));
    const onFailureLetter = (instanceId: string) =>
      JSON.stringify({ version: "1.0", timestamp: "2026-11-23T00:00:00Z", requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 }, requestPayload: lifecycleEvent({ EC2InstanceId: instanceId }) });

    test("GIVEN an on-failure record of a still-waiting instance WHEN drained THEN warmup is re-driven from the current state and the message deleted", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 5_000 }, deadLetters: [onFailureLetter(A)] });
      const summary = await run();
      expect(summary.deadLetters).toEqual({ received: 1, redriven: 1, deleted: 1, kept: 0 });
      expect(invocations()[0].detail).toMatchObject({ EC2InstanceId: A, Destination: "AutoScalingGroup" });
      expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: QUEUE, ReceiptHandle: "r-0" });
    });

    test("GIVEN a rule-target dead letter whose stale destination was the warm pool WHEN re-driven THEN the destination follows the current state", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, deadLetters: [ruleTargetLetter(A)] });
      await run();
      expect(invocations()[0].detail).toMatchObject({ EC2InstanceId: A, Destination: "AutoScalingGroup" });
    });

    test("GIVEN dead letters of an instance in service, of another group, and malformed ones WHEN drained THEN each is deleted with its reason logged and nothing invoked", async () => {
      const { run, log } = arrange({ group: { [A]: "InService" }, deadLetters: [ruleTargetLetter(A), ruleTargetLetter(B, "other"), "not json", undefined, '{"source":"aws.ec2"}', "[1]"] });
      const summary = await run();
      expect(summary.deadLetters).toEqual({ received: 6, redriven: 0, deleted: 6, kept: 0 });
      expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
      const reasons = log.lines.filter((l) => String(l.message).startsWith("dead letter dropped")).map((l) => l.reason ?? l.message);
      expect(reasons).toEqual([
        "dead letter dropped: the instance no longer waits on a lifecycle action",
        "dead letter dropped: another group's event",
        "body is not JSON",
        "empty body",
        'source "aws.ec2" is not a lifecycle event\'s',
        "body is not a JSON object",
      ]);
    });

    test("GIVEN a dead letter of an instance the scan already re-drove WHEN drained THEN warmup is invoked once", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, seenAgoMs: { [A]: 500_000 }, deadLetters: [onFailureLetter(A), ruleTargetLetter(A)] });
      await run();
      expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
      expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 2);
    });

    test("GIVEN a dead letter of an instance whose lease is held WHEN drained THEN it is deleted without a re-drive", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, leases: { [A]: NOW / 1000 + 60 }, deadLetters: [onFailureLetter(A)] });
      const summary = await run();
      expect(summary.deadLetters).toMatchObject({ redriven: 0, deleted: 1 });
      expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
    });

    test("GIVEN warmup cannot be invoked for a dead letter WHEN drained THEN the message stays in the queue for the next run", async () => {
      const { run } = arrange({ group: { [A]: "Pending:Wait" }, deadLetters: [onFailureLetter(A)] });
      lambda.on(InvokeCommand).rejects(new Error("TooManyRequestsException"));
      const summary = await run();
      expect(summary.deadLetters).toEqual({ received: 1, redriven: 0, deleted: 0, kept: 1 });
      expect(sqs).not.toHaveReceivedCommand(DeleteMessageCommand);
    });

    test("GIVEN a full queue WHEN drained THEN it reads at most five batches of ten, hiding each for the run", async () => {
      const { run } = arrange();
      const full = Array.from({ length: 10 }, (_, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body: "x" }));
      sqs.on(ReceiveMessageCommand).resolves({ Messages: full });
      const summary = await run();
      expect(summary.deadLetters.received).toBe(50);
      expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 5);
      expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { QueueUrl: QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 });
    });
  });
});
