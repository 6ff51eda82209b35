import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ClaimResult, claimInstance } from "./claim";
import { Clock } from "./clock";
import { decideEcsHost } from "./ecs-host";
import { IncompleteAction, WarmupConfig, warmupPolicyFor, warmupRequestOf } from "./config";
import { Destination, LifecycleAction, parseLifecycleEvent } from "./event";
import { HttpClient } from "./http";
import { LifecycleResult, InstanceFacts, completeAction, describeInstance, isWaiting, lifecycleState, recordHeartbeat } from "./lifecycle";
import { Logger } from "../shared/logger";
import { Outcome, metricsDocument } from "./metrics";
import { Endpoint, waitForHealth } from "./readiness";
import { WarmupReport, warmWorkers } from "./warmup";

export interface Dependencies {
  readonly config: WarmupConfig;
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** Client of the claims table (config.claimsTable). @default - no leases */
  readonly dynamodb?: DynamoDBClient;
  /** This invocation's id: the owner of the lease it takes. */
  readonly invocationId?: string;
  /** ECS client, for config.mode ECS_HOST. @default - none: ECS_HOST events are abandoned */
  readonly ecs?: ECSClient;
}

export interface EventResult {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly result?: LifecycleResult;
  readonly completion?: "completed" | "already-complete";
  readonly warmup?: WarmupReport;
}

interface Decision {
  readonly result: LifecycleResult;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly healthWaitMs: number;
  readonly warmup?: WarmupReport;
}

/**
 * Handles one EventBridge delivery: ignore what is not ours, skip what is already done, otherwise
 * wait for the instance's server, warm it when it is going into service, and complete the action.
 * Resolves for every event; rejects only when the action could not be completed, so that Lambda's
 * async retries (and then the dead-letter queue) take over instead of the hook's timeout.
 * @param deadline epoch ms at which the function will be stopped
 */
export async function processEvent(event: unknown, deadline: number, deps: Dependencies): Promise<EventResult> {
  const { config, log, clock } = deps;
  const started = clock.now();
  const parsed = parseLifecycleEvent(event);
  if (parsed.kind === "ignored") {
    log.warn("event ignored", { reason: parsed.reason });
    return { outcome: "ignored", reason: parsed.reason };
  }
  const action = parsed.action;
  const context = { instanceId: action.instanceId, group: action.groupName, origin: action.origin, destination: action.destination };
  if (config.autoScalingGroupName !== undefined && action.groupName !== config.autoScalingGroupName) {
    const reason = `event of group ${action.groupName}, this function serves ${config.autoScalingGroupName}`;
    log.warn("event ignored", { ...context, reason });
    return { outcome: "ignored", reason };
  }
  log.info("lifecycle action received", { ...context, reconciled: action.token === undefined });

  // The lease comes before the state check: a run that finds the action still open then knows
  // that no other run is deciding it, and one that took the lease after another's completion
  // sees the instance no longer waiting.
  const claim = await claimFor(deps, action, deadline);
  if (claim.kind === "held-elsewhere") {
    const reason = "warmup in progress elsewhere: another run holds this instance's lease";
    log.info("nothing to do", { ...context, reason });
    return { outcome: "skipped", reason };
  }
  // Unleased by configuration is normal; a configured table that cannot be reached is not.
  if (claim.kind === "off") log[config.claimsTable === undefined ? "info" : "warn"]("going ahead without a lease", { ...context, reason: claim.reason });
  try {
    return await handleClaimed(deps, action, context, deadline, started);
  } finally {
    if (claim.kind === "claimed") await claim.release().catch((error: Error) => log.warn("could not release the lease; it lapses by itself", { ...context, error: error.message }));
  }
}

/** The lease on the instance, held until the function's deadline plus a margin. */
function claimFor(deps: Dependencies, action: LifecycleAction, deadline: number): Promise<ClaimResult> {
  if (deps.dynamodb === undefined) return Promise.resolve({ kind: "off", reason: "no claims table client" });
  return claimInstance(deps.dynamodb, {
    table: deps.config.claimsTable,
    instanceId: action.instanceId,
    owner: deps.invocationId ?? `warmup-${deps.clock.now()}`,
    now: deps.clock.now(),
    // A function killed at its timeout never releases: the lease lapses a minute later.
    expiresAt: deadline + 60_000,
  });
}

async function handleClaimed(deps: Dependencies, action: LifecycleAction, context: Record<string, unknown>, deadline: number, started: number): Promise<EventResult> {
  const { config, log, clock } = deps;
  const skip = await alreadyHandled(deps, action);
  if (skip) {
    log.info("nothing to do", { ...context, reason: skip });
    return { outcome: "skipped", reason: skip };
  }

  const finishBy = deadline - config.safetyMarginMs;
  const stopHeartbeats = startHeartbeats(deps, action);
  let decision: Decision;
  try {
    decision = await decide(deps, action, finishBy);
  } catch (error) {
    decision = { result: "ABANDON", outcome: "abandoned", reason: `unexpected error: ${(error as Error).message}`, healthWaitMs: 0 };
  } finally {
    stopHeartbeats();
  }

  const completion = await completeAction(deps.autoScaling, action, decision.result);
  const level = decision.result === "ABANDON" || decision.outcome === "incomplete" ? "warn" : "info";
  log[level]("lifecycle action completed", {
    ...context,
    result: decision.result,
    outcome: decision.outcome,
    reason: decision.reason,
    completion,
    durationMs: Math.round(clock.now() - started),
    ...(decision.warmup ? warmupFields(decision.warmup) : {}),
  });
  log.raw(
    metricsDocument(config.metricsNamespace, action.groupName, {
      outcome: decision.outcome,
      destination: action.destination,
      durationMs: clock.now() - started,
      healthWaitMs: decision.healthWaitMs,
      requests: decision.warmup?.requests ?? 0,
      rounds: decision.warmup?.rounds ?? 0,
      coldLatencyMs: decision.warmup?.coldLatencyMs,
      coverage: decision.warmup?.coverage,
      warmLatencyMs: decision.warmup?.warmLatencyMs,
    }),
  );
  return { outcome: decision.outcome, reason: decision.reason, result: decision.result, completion, warmup: decision.warmup };
}

/** A reason to do nothing when the instance is no longer waiting (EventBridge delivers at least once). */
async function alreadyHandled(deps: Dependencies, action: LifecycleAction): Promise<string | undefined> {
  try {
    const state = await lifecycleState(deps.autoScaling, action.instanceId);
    if (state === undefined) return "the instance is no longer in an Auto Scaling group";
    if (!isWaiting(state)) return `the instance is ${state}, not waiting on a lifecycle action`;
    return undefined;
  } catch (error) {
    // Not knowing is no reason to skip: completing the action will tell whether it was still open.
    deps.log.warn("could not read the lifecycle state; going ahead", { instanceId: action.instanceId, error: (error as Error).message });
    return undefined;
  }
}

async function decide(deps: Dependencies, action: LifecycleAction, finishBy: number): Promise<Decision> {
  const { config, clock, http } = deps;
  if (config.mode === "ECS_HOST") return decideForEcsHost(deps, action, finishBy);
  const instance = await describeInstance(deps.ec2, action.instanceId);
  const ip = instance.privateIp;
  const endpoint: Endpoint = { host: ip, port: config.port };
  const health = await waitForHealth(http, clock, endpoint, config.healthPath, config.healthRequestTimeoutMs, Math.min(finishBy, clock.now() + config.healthDeadlineMs));
  if (!health.healthy) {
    return {
      result: "ABANDON",
      outcome: "abandoned",
      reason: `server at ${ip}:${config.port}${config.healthPath} never became healthy (${health.attempts} checks in ${Math.round(health.waitedMs)} ms, last: ${health.lastProblem ?? "none"})`,
      healthWaitMs: health.waitedMs,
    };
  }
  if (action.destination === Destination.WARM_POOL) {
    return { result: "CONTINUE", outcome: "prepared", reason: "set-up done; the instance stops into the warm pool, so its memory is not warmed", healthWaitMs: health.waitedMs };
  }
  const workers = expectedWorkers(config, instance);
  deps.log.info("warming", { instanceId: action.instanceId, instanceType: instance.instanceType, vcpus: instance.vcpus, expectedWorkers: workers.count, workersFrom: workers.source });
  const warmup = await warmWorkers(http, clock, endpoint, warmupRequestOf(config), warmupPolicyFor(config, workers.count), finishBy);
  const base = { reason: warmup.reason, healthWaitMs: health.waitedMs, warmup };
  if (warmup.status === "warm") return { ...base, result: "CONTINUE", outcome: "warmed" };
  if (warmup.status === "failing") return { ...base, result: "ABANDON", outcome: "abandoned" };
  return { ...base, result: config.onIncomplete === IncompleteAction.ABANDON ? "ABANDON" : "CONTINUE", outcome: "incomplete" };
}

/** An ECS host has no server of its own to warm: its tasks warm themselves behind their health checks. */
async function decideForEcsHost(deps: Dependencies, action: LifecycleAction, finishBy: number): Promise<Decision> {
  const { config, clock } = deps;
  if (deps.ecs === undefined || config.ecsCluster === undefined) throw new Error("ECS_HOST mode without an ECS client or cluster");
  const deadline = Math.min(finishBy, clock.now() + config.healthDeadlineMs);
  const host = await decideEcsHost({ ecs: deps.ecs, ec2: deps.ec2, clock }, config.ecsCluster, action, deadline);
  return { result: host.result, outcome: host.outcome, reason: host.reason, healthWaitMs: host.waitedMs };
}

/**
 * Workers the server runs: the configured count, or one per vCPU of the instance as the example
 * server does, or the count planned from the fleet's type when EC2 did not report the CPUs.
 */
function expectedWorkers(config: WarmupConfig, instance: InstanceFacts): { count: number; source: "configured" | "vcpus" | "fleet-type" } {
  if (config.workers !== undefined) return { count: config.workers, source: "configured" };
  if (instance.vcpus !== undefined) return { count: instance.vcpus, source: "vcpus" };
  return { count: config.fallbackWorkers, source: "fleet-type" };
}

function startHeartbeats(deps: Dependencies, action: LifecycleAction): () => void {
  return deps.clock.every(deps.config.heartbeatIntervalMs, () => {
    recordHeartbeat(deps.autoScaling, action).then(
      (status) => deps.log.info("heartbeat", { instanceId: action.instanceId, status }),
      (error: Error) => deps.log.warn("heartbeat failed", { instanceId: action.instanceId, error: error.message }),
    );
  });
}

function warmupFields(report: WarmupReport): Record<string, unknown> {
  return {
    rounds: report.rounds,
    requests: report.requests,
    failedRequests: report.failedRequests,
    notReadyMs: Math.round(report.notReadyMs),
    coverage: report.coverage,
    warmLatencyMs: round(report.warmLatencyMs),
    coldLatencyMs: round(report.coldLatencyMs),
    latencyMs: report.latencyMs && {
      p50: round(report.latencyMs.p50),
      p90: round(report.latencyMs.p90),
      p99: round(report.latencyMs.p99),
      max: round(report.latencyMs.max),
    },
  };
}

function round(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 10) / 10;
}
