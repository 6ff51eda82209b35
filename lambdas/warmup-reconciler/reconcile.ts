import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeWarmPoolCommand } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { randomUUID } from "node:crypto";
import { CLAIM_KEY, EXPIRES_AT, claimKey } from "../warmup/claim";
import { Destination, RECONCILER_SOURCE } from "../warmup/event";
import { Logger } from "../shared/logger";
import { ReconcilerConfig } from "./config";
import { parseDeadLetter } from "./dead-letters";

export interface ReconcilerDependencies {
  readonly config: ReconcilerConfig;
  readonly autoScaling: AutoScalingClient;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly sqs: SQSClient;
  readonly now: () => number;
  readonly log: Logger;
}

/** What one run found and did. */
export interface ReconcileSummary {
  /** Instances of the group (and its warm pool) waiting on a lifecycle action. */
  readonly waiting: number;
  /** Waiting, and a warmup run holds their lease. */
  readonly inProgress: number;
  /** Waiting longer than the threshold with no lease: warmup was run for them. */
  readonly stuck: readonly string[];
  /** Longest wait seen, in seconds, from the reconciler's first sighting. */
  readonly oldestWaitSeconds: number;
  readonly deadLetters: DeadLetterSummary;
}

export interface DeadLetterSummary {
  readonly received: number;
  /** Their instance was still waiting with no lease: warmup was run for it. */
  readonly redriven: number;
  readonly deleted: number;
  /** Left in the queue (warmup could not be invoked): the next run tries again. */
  readonly kept: number;
}

/** A lifecycle state and where the instance goes once its action completes. */
const WAIT_STATES: Readonly<Record<string, Destination>> = {
  "Pending:Wait": Destination.AUTO_SCALING_GROUP,
  "Warmed:Pending:Wait": Destination.WARM_POOL,
};

/**
 * Where a waiting instance is heading, from its state alone: `Warmed:Pending:Wait` is a first
 * boot on the way into the warm pool; `Pending:Wait` is on the way into service, whether it came
 * from the pool or from EC2 (with or without a warm pool). Undefined for any other state.
 */
export function destinationOf(lifecycleState: string | undefined): Destination | undefined {
  return lifecycleState === undefined ? undefined : WAIT_STATES[lifecycleState];
}

const SEEN_TTL_SECONDS = 86_400;
const DEAD_LETTER_BATCHES = 5;

/**
 * One pass: run warmup for every instance of the group that has waited on its launch hook longer
 * than the threshold with no warmup holding its lease, then work through the dead-letter queue.
 * Both go through the warmup function itself (asynchronously), whose lease makes a late event
 * and a reconciled run complete the instance once.
 */
export async function reconcile(deps: ReconcilerDependencies): Promise<ReconcileSummary> {
  const { config, log } = deps;
  const waiting = await waitingInstances(deps);
  const invoked = new Set<string>();
  const stuck: string[] = [];
  let inProgress = 0;
  let oldestWaitMs = 0;
  for (const [instanceId, state] of waiting) {
    if (await hasLiveLease(deps, instanceId)) {
      inProgress += 1;
      continue;
    }
    const seen = await firstSeen(deps, instanceId, state);
    const waitedMs = Math.max(0, deps.now() - seen);
    oldestWaitMs = Math.max(oldestWaitMs, waitedMs);
    if (waitedMs < config.stuckAfterMs) continue;
    stuck.push(instanceId);
    log.warn("instance stuck waiting; running warmup for it", { instanceId, lifecycleState: state, waitedSeconds: Math.round(waitedMs / 1000) });
    try {
      await invokeWarmup(deps, instanceId, state, `waited ${Math.round(waitedMs / 1000)} s without a warmup run`);
      invoked.add(instanceId);
    } catch (error) {
      log.error("could not invoke warmup", { instanceId, error: (error as Error).message });
    }
  }
  const deadLetters = await drainDeadLetters(deps, waiting, invoked);
  const summary: ReconcileSummary = { waiting: waiting.size, inProgress, stuck, oldestWaitSeconds: Math.round(oldestWaitMs / 1000), deadLetters };
  log.info("reconciled", { group: config.autoScalingGroupName, ...summary });
  log.raw(metricsDocument(config.metricsNamespace, config.autoScalingGroupName, summary, deps.now()));
  return summary;
}

/** Instance id -> lifecycle state, for the group's waiting instances and its warm pool's. */
async function waitingInstances(deps: ReconcilerDependencies): Promise<Map<string, string>> {
  const group = deps.config.autoScalingGroupName;
  const found = new Map<string, string>();
  const groups = await deps.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  const instances = [...(groups.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === group)?.Instances ?? [])];
  // Instances on their way into the warm pool are listed by the pool, not the group.
  let nextToken: string | undefined;
  do {
    const pool = await deps.autoScaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group, NextToken: nextToken, MaxRecords: 100 }));
    instances.push(...(pool.Instances ?? []));
    nextToken = pool.NextToken;
  } while (nextToken);
  for (const { InstanceId: id, LifecycleState: state } of instances) {
    if (id !== undefined && destinationOf(state) !== undefined) found.set(id, state as string);
  }
  return found;
}

async function hasLiveLease(deps: ReconcilerDependencies, instanceId: string): Promise<boolean> {
  const out = await deps.dynamodb.send(new GetItemCommand({ TableName: deps.config.claimsTable, Key: { [CLAIM_KEY]: { S: claimKey(instanceId) } }, ConsistentRead: true }));
  const expiresAt = Number(out.Item?.[EXPIRES_AT]?.N);
  return out.Item !== undefined && expiresAt >= Math.floor(deps.now() / 1000);
}

/**
 * When the reconciler first saw the instance in this state (epoch ms): lifecycle events carry no
 * start time the describe calls return, so the wait is measured from the first sighting. Keyed by
 * state, so the second wait of a warm-pool instance starts its own clock.
 */
async function firstSeen(deps: ReconcilerDependencies, instanceId: string, state: string): Promise<number> {
  const now = deps.now();
  const out = await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.config.claimsTable,
      Key: { [CLAIM_KEY]: { S: `seen#${instanceId}#${state}` } },
      UpdateExpression: "SET #firstSeen = if_not_exists(#firstSeen, :now), #expiresAt = :expiresAt",
      ExpressionAttributeNames: { "#firstSeen": "firstSeen", "#expiresAt": EXPIRES_AT },
      ExpressionAttributeValues: { ":now": { N: String(now) }, ":expiresAt": { N: String(Math.floor(now / 1000) + SEEN_TTL_SECONDS) } },
      ReturnValues: "ALL_NEW",
    }),
  );
  const seen = Number(out.Attributes?.firstSeen?.N);
  return Number.isFinite(seen) ? seen : now;
}

/** The event the warmup function parses like Auto Scaling's, without a token: it completes by instance id. */
export function reconcilerEvent(config: ReconcilerConfig, instanceId: string, state: string, reason: string, now: number): Record<string, unknown> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "EC2 Instance-launch Lifecycle Action",
    source: RECONCILER_SOURCE,
    time: new Date(now).toISOString(),
    detail: {
      AutoScalingGroupName: config.autoScalingGroupName,
      LifecycleHookName: config.lifecycleHookName,
      EC2InstanceId: instanceId,
      LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      Destination: destinationOf(state),
      LifecycleState: state,
      Reason: reason,
    },
  };
}

/** Asynchronous, like EventBridge's own invocation: Lambda's retries and on-failure destination apply. */
async function invokeWarmup(deps: ReconcilerDependencies, instanceId: string, state: string, reason: string): Promise<void> {
  const event = reconcilerEvent(deps.config, instanceId, state, reason, deps.now());
  await deps.lambda.send(new InvokeCommand({ FunctionName: deps.config.warmupFunctionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }));
}

async function drainDeadLetters(deps: ReconcilerDependencies, waiting: ReadonlyMap<string, string>, invoked: Set<string>): Promise<DeadLetterSummary> {
  const counts = { received: 0, redriven: 0, deleted: 0, kept: 0 };
  for (let batch = 0; batch < DEAD_LETTER_BATCHES; batch += 1) {
    const out = await deps.sqs.send(
      // Hidden for a minute while this run works on them; no long polling: the run must end quickly.
      new ReceiveMessageCommand({ QueueUrl: deps.config.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
    );
    const messages = out.Messages ?? [];
    for (const message of messages) {
      counts.received += 1;
      const outcome = await handleDeadLetter(deps, message, waiting, invoked);
      if (outcome === "redriven") counts.redriven += 1;
      if (outcome === "kept") {
        counts.kept += 1;
        continue;
      }
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.config.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
      counts.deleted += 1;
    }
    if (messages.length < 10) break;
  }
  return counts;
}

type DeadLetterOutcome = "redriven" | "dropped" | "kept";

/** Re-drives a dead letter whose instance still waits with no lease; any other is logged and dropped. */
async function handleDeadLetter(deps: ReconcilerDependencies, message: Message, waiting: ReadonlyMap<string, string>, invoked: Set<string>): Promise<DeadLetterOutcome> {
  const { log, config } = deps;
  const letter = parseDeadLetter(message.Body);
  const messageId = message.MessageId;
  if (letter.kind === "malformed") {
    log.warn("dead letter dropped: not a lifecycle event", { messageId, reason: letter.reason, body: (message.Body ?? "").slice(0, 1000) });
    return "dropped";
  }
  const context = { messageId, instanceId: letter.instanceId, deadLetterOrigin: letter.origin };
  if (letter.groupName !== config.autoScalingGroupName) {
    log.warn("dead letter dropped: another group's event", { ...context, group: letter.groupName });
    return "dropped";
  }
  const state = waiting.get(letter.instanceId);
  if (state === undefined) {
    log.info("dead letter dropped: the instance no longer waits on a lifecycle action", context);
    return "dropped";
  }
  if (invoked.has(letter.instanceId)) {
    log.info("dead letter dropped: warmup was already run for the instance in this pass", context);
    return "dropped";
  }
  if (await hasLiveLease(deps, letter.instanceId)) {
    log.info("dead letter dropped: a warmup run holds the instance's lease", context);
    return "dropped";
  }
  try {
    await invokeWarmup(deps, letter.instanceId, state, `re-driven from the dead-letter queue (${letter.origin})`);
  } catch (error) {
    log.error("dead letter kept: could not invoke warmup", { ...context, error: (error as Error).message });
    return "kept";
  }
  invoked.add(letter.instanceId);
  log.warn("dead letter re-driven: warmup run for the waiting instance", { ...context, lifecycleState: state });
  return "redriven";
}

/** Embedded-metric-format document, like the warmup function's (lambdas/warmup/metrics.ts). */
export function metricsDocument(namespace: string, groupName: string, summary: ReconcileSummary, now: number): string {
  const values: Record<string, number> = {
    WaitingInstances: summary.waiting,
    InProgressInstances: summary.inProgress,
    StuckInstances: summary.stuck.length,
    OldestWaitSeconds: summary.oldestWaitSeconds,
    DeadLetters: summary.deadLetters.received,
    DeadLettersRedriven: summary.deadLetters.redriven,
  };
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [["AutoScalingGroupName"]], Metrics: Object.keys(values).map((Name) => ({ Name, Unit: Name === "OldestWaitSeconds" ? "Seconds" : "Count" })) },
      ],
    },
    AutoScalingGroupName: groupName,
    ...values,
  });
}
