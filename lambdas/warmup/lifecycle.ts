import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  RecordLifecycleActionHeartbeatCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { LifecycleAction } from "./event";

export type LifecycleResult = "CONTINUE" | "ABANDON";

/** True for the error Auto Scaling returns once an action is completed, expired or unknown. */
export function isNoActiveAction(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string };
  return (e?.name === "ValidationError" || e?.Code === "ValidationError") && /no active lifecycle action/i.test(e?.message ?? "");
}

/** The instance's Auto Scaling lifecycle state, or undefined when it no longer belongs to a group. */
export async function lifecycleState(autoScaling: AutoScalingClient, instanceId: string): Promise<string | undefined> {
  const out = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  return out.AutoScalingInstances?.find((i) => i.InstanceId === instanceId)?.LifecycleState;
}

/** Pending:Wait, or Warmed:Pending:Wait on the way into a warm pool. */
export function isWaiting(state: string): boolean {
  return state.endsWith("Pending:Wait");
}

/** Without a token (a reconciler's run), Auto Scaling acts on the instance's open action of this hook. */
function actionIdentity(action: LifecycleAction) {
  return {
    AutoScalingGroupName: action.groupName,
    LifecycleHookName: action.hookName,
    ...(action.token === undefined ? {} : { LifecycleActionToken: action.token }),
    InstanceId: action.instanceId,
  };
}

/** Runs a call on the action; "already-complete" when Auto Scaling says the action is gone. */
async function onActiveAction<T extends string>(call: () => Promise<unknown>, done: T): Promise<T | "already-complete"> {
  try {
    await call();
    return done;
  } catch (error) {
    if (isNoActiveAction(error)) return "already-complete";
    throw error;
  }
}

/** Completes the action; "already-complete" when another delivery of the same event got there first. */
export function completeAction(autoScaling: AutoScalingClient, action: LifecycleAction, result: LifecycleResult): Promise<"completed" | "already-complete"> {
  const command = new CompleteLifecycleActionCommand({ ...actionIdentity(action), LifecycleActionResult: result });
  return onActiveAction(() => autoScaling.send(command), "completed");
}

/** Restarts the hook's heartbeat timeout; "already-complete" when there is nothing left to keep alive. */
export function recordHeartbeat(autoScaling: AutoScalingClient, action: LifecycleAction): Promise<"recorded" | "already-complete"> {
  const command = new RecordLifecycleActionHeartbeatCommand(actionIdentity(action));
  return onActiveAction(() => autoScaling.send(command), "recorded");
}

/** What the function needs of the launched instance. */
export interface InstanceFacts {
  /** Private IPv4 address: the Lambda runs in the VPC and never uses public names. */
  readonly privateIp: string;
  readonly instanceType: string | undefined;
  /** vCPUs from CpuOptions (cores x threads per core); undefined when EC2 did not say. */
  readonly vcpus: number | undefined;
}

/**
 * Reads the instance as it was really launched: a mixed-instances or resized fleet runs other
 * types than the one it was planned with, and the worker count follows the vCPUs.
 */
export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<InstanceFacts> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance?.PrivateIpAddress) throw new Error(`instance ${instanceId} has no private IP address (state: ${instance?.State?.Name ?? "not found"})`);
  const { CoreCount: cores, ThreadsPerCore: threads } = instance.CpuOptions ?? {};
  const vcpus = cores !== undefined && cores > 0 ? cores * (threads !== undefined && threads > 0 ? threads : 1) : undefined;
  return { privateIp: instance.PrivateIpAddress, instanceType: instance.InstanceType, vcpus };
}
