// The launch hook on an ECS host of the warm fleet. There is no model to warm on the instance:
// tasks are placed on it only once it is in service, and each task's readiness-gated health check
// does the warming. What the hook can make sure of is that the host is ready to take tasks at once:
// its images are pulled (the user data does it before the agent starts) and its agent is connected.
import { DescribeContainerInstancesCommand, ECSClient, ListContainerInstancesCommand } from "@aws-sdk/client-ecs";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { Clock } from "./clock";
import { Destination, LifecycleAction } from "./event";
import { LifecycleResult } from "./lifecycle";

/** Instance tag the host's user data sets as its last step (modules/internal/ecs-host-user-data.ts). */
export const HOST_READY_TAG = "warmfleet:host-ready";

const POLL_MS = 5_000;

export interface EcsHostClients {
  readonly ecs: ECSClient;
  readonly ec2: EC2Client;
  readonly clock: Clock;
}

export interface EcsHostDecision {
  readonly result: LifecycleResult;
  readonly outcome: "prepared" | "abandoned";
  readonly reason: string;
  readonly waitedMs: number;
}

/** One look at the host: ready, or why not yet. */
type Check = { readonly ready: true; readonly detail: string } | { readonly ready: false; readonly problem: string };

/**
 * Waits, polling every 5 s until the deadline, for the host to be ready for its destination:
 * - AutoScalingGroup: its container instance is registered with the cluster and its agent is
 *   connected (the agent starts after the user data, so the images are pulled by then);
 * - WarmPool: the agent never registers (ECS_WARM_POOLS_CHECK), so the user data's last step, the
 *   host-ready tag, is the sign that set-up (pre-pull included) finished before the instance stops.
 * CONTINUE when ready, ABANDON with the last reason when the deadline passes.
 */
export async function decideEcsHost(clients: EcsHostClients, cluster: string, action: LifecycleAction, deadline: number): Promise<EcsHostDecision> {
  const { clock } = clients;
  const started = clock.now();
  const check = action.destination === Destination.WARM_POOL ? () => hostReadyTag(clients.ec2, action.instanceId) : () => connectedContainerInstance(clients.ecs, cluster, action.instanceId);
  let last: Check = { ready: false, problem: "not checked before the deadline" };
  let attempts = 0;
  while (clock.now() < deadline) {
    attempts += 1;
    last = await check().catch((error: Error): Check => ({ ready: false, problem: `${error.name}: ${error.message}` }));
    if (last.ready) {
      return { result: "CONTINUE", outcome: "prepared", reason: last.detail, waitedMs: clock.now() - started };
    }
    const pause = Math.min(POLL_MS, deadline - clock.now());
    if (pause <= 0) break;
    await clock.sleep(pause);
  }
  const what = action.destination === Destination.WARM_POOL ? `never tagged ${HOST_READY_TAG} (its user data did not finish)` : `never registered a connected agent with cluster ${cluster}`;
  const problem = last.ready ? "" : last.problem;
  return { result: "ABANDON", outcome: "abandoned", reason: `ECS host ${action.instanceId} ${what}: ${attempts} checks in ${Math.round(clock.now() - started)} ms, last: ${problem}`, waitedMs: clock.now() - started };
}

/** The instance's container instance in the cluster, with its agent connected. */
export async function connectedContainerInstance(ecs: ECSClient, cluster: string, instanceId: string): Promise<Check> {
  const listed = await ecs.send(new ListContainerInstancesCommand({ cluster, filter: `ec2InstanceId == ${instanceId}` }));
  const arns = listed.containerInstanceArns ?? [];
  if (arns.length === 0) return { ready: false, problem: "no container instance registered yet" };
  const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
  const instance = described.containerInstances?.find((i) => i.ec2InstanceId === instanceId);
  if (!instance) return { ready: false, problem: `container instance ${arns[0]} not described (${described.failures?.[0]?.reason ?? "no failure given"})` };
  if (instance.agentConnected !== true) return { ready: false, problem: `container instance ${instance.containerInstanceArn} registered, agent not connected (status ${instance.status})` };
  return { ready: true, detail: `container instance ${instance.containerInstanceArn} registered with a connected agent (${instance.versionInfo?.agentVersion ?? "unknown"} agent)` };
}

/** The host-ready tag on the instance. */
export async function hostReadyTag(ec2: EC2Client, instanceId: string): Promise<Check> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance) return { ready: false, problem: "instance not found" };
  const tag = instance.Tags?.find((t) => t.Key === HOST_READY_TAG);
  if (!tag) return { ready: false, problem: `no ${HOST_READY_TAG} tag yet (state ${instance.State?.Name ?? "unknown"})` };
  return { ready: true, detail: `host set up (${HOST_READY_TAG}=${tag.Value}); the instance stops into the warm pool with its images pulled` };
}
