import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { AutoScalingClient, CompleteLifecycleActionCommand, DescribeAutoScalingInstancesCommand, RecordLifecycleActionHeartbeatCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, Tag } from "@aws-sdk/client-ec2";
import { DescribeContainerInstancesCommand, ECSClient, ListContainerInstancesCommand } from "@aws-sdk/client-ecs";
import { ConfigError, loadConfig } from "../../../lambdas/warmup/config";
import { HOST_READY_TAG, decideEcsHost } from "../../../lambdas/warmup/ecs-host";
import { Destination, LifecycleAction } from "../../../lambdas/warmup/event";
import { processEvent } from "../../../lambdas/warmup/process-event";
import { FakeClock, fakeHttp, lifecycleEvent, memoryLogger } from "./fakes";

const ecsMock = mockClient(ECSClient);
const ec2Mock = mockClient(EC2Client);
const autoScalingMock = mockClient(AutoScalingClient);
const INSTANCE = "i-0123456789abcdef0";
const CLUSTER = "inference";
const CONTAINER_INSTANCE = `arn:aws:ecs:us-east-1:123456789012:container-instance/${CLUSTER}/0f1e2d3c4b5a`;

function action(destination: Destination): LifecycleAction {
  return { token: "token", groupName: "hosts", hookName: "hosts-launch", instanceId: INSTANCE, origin: "EC2", destination };
}

function clients() {
  return { ecs: new ECSClient({}), ec2: new EC2Client({}), clock: new FakeClock() };
}

/** The agent registers on the given check (1-based) and connects on the next one. */
function agentRegistersOnCheck(check: number): void {
  let calls = 0;
  ecsMock.on(ListContainerInstancesCommand).callsFake(() => {
    calls += 1;
    return { containerInstanceArns: calls >= check ? [CONTAINER_INSTANCE] : [] };
  });
  ecsMock
    .on(DescribeContainerInstancesCommand)
    .callsFake(() => ({ containerInstances: [{ ec2InstanceId: INSTANCE, containerInstanceArn: CONTAINER_INSTANCE, status: "ACTIVE", agentConnected: calls > check, versionInfo: { agentVersion: "1.89.0" } }] }));
}

function instanceTags(tagsByCall: (call: number) => Tag[]): void {
  let calls = 0;
  ec2Mock.on(DescribeInstancesCommand).callsFake(() => {
    calls += 1;
    return { Reservations: [{ Instances: [{ InstanceId: INSTANCE, State: { Name: "running" }, Tags: tagsByCall(calls) }] }] };
  });
}

beforeEach(() => {
  ecsMock.reset();
  ec2Mock.reset();
  autoScalingMock.reset();
});

describe("decideEcsHost", () => {
  describe("destination AutoScalingGroup: the agent must be registered and connected", () => {
    test("GIVEN an agent that registers on the 3rd check and connects on the 4th WHEN decided THEN CONTINUE after polling the cluster by instance id", async () => {
      agentRegistersOnCheck(3);
      const c = clients();
      const started = c.clock.now();
      const decision = await decideEcsHost(c, CLUSTER, action(Destination.AUTO_SCALING_GROUP), started + 120_000);
      expect(decision).toMatchObject({ result: "CONTINUE", outcome: "prepared", reason: expect.stringContaining(`${CONTAINER_INSTANCE} registered with a connected agent (1.89.0 agent)`) });
      expect(ecsMock).toHaveReceivedCommandTimes(ListContainerInstancesCommand, 4);
      expect(ecsMock).toHaveReceivedCommandWith(ListContainerInstancesCommand, { cluster: CLUSTER, filter: `ec2InstanceId == ${INSTANCE}` });
      expect(ecsMock).toHaveReceivedCommandWith(DescribeContainerInstancesCommand, { cluster: CLUSTER, containerInstances: [CONTAINER_INSTANCE] });
      expect(decision.waitedMs).toBe(15_000);
    });

    test("GIVEN an agent that never registers WHEN the deadline passes THEN ABANDON with the reason, never past the deadline", async () => {
      ecsMock.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
      const c = clients();
      const deadline = c.clock.now() + 30_000;
      const decision = await decideEcsHost(c, CLUSTER, action(Destination.AUTO_SCALING_GROUP), deadline);
      expect(decision).toMatchObject({ result: "ABANDON", outcome: "abandoned" });
      expect(decision.reason).toMatch(/ECS host i-0123456789abcdef0 never registered a connected agent with cluster inference: 6 checks in 30000 ms, last: no container instance registered yet/);
      expect(c.clock.now()).toBe(deadline);
    });

    test("GIVEN ECS API errors WHEN they persist THEN each is a failed check, and the last one is the reason", async () => {
      ecsMock.on(ListContainerInstancesCommand).rejects(Object.assign(new Error("User is not authorized to perform: ecs:ListContainerInstances"), { name: "AccessDeniedException" }));
      const c = clients();
      const decision = await decideEcsHost(c, CLUSTER, action(Destination.AUTO_SCALING_GROUP), c.clock.now() + 10_000);
      expect(decision.result).toBe("ABANDON");
      expect(decision.reason).toMatch(/last: AccessDeniedException: User is not authorized to perform: ecs:ListContainerInstances$/);
    });
  });

  describe("destination WarmPool: the agent does not register (ECS_WARM_POOLS_CHECK), the user data's host-ready tag counts", () => {
    test("GIVEN the tag appears on the 2nd look WHEN decided THEN CONTINUE without asking ECS", async () => {
      instanceTags((call) => (call >= 2 ? [{ Key: HOST_READY_TAG, Value: "1763900000" }] : [{ Key: "Name", Value: "hosts" }]));
      const c = clients();
      const decision = await decideEcsHost(c, CLUSTER, action(Destination.WARM_POOL), c.clock.now() + 60_000);
      expect(decision).toMatchObject({ result: "CONTINUE", outcome: "prepared", reason: expect.stringContaining(`${HOST_READY_TAG}=1763900000`) });
      expect(ecsMock).not.toHaveReceivedAnyCommand();
    });

    test("GIVEN user data that never finishes WHEN the deadline passes THEN ABANDON naming the missing tag", async () => {
      instanceTags(() => []);
      const c = clients();
      const decision = await decideEcsHost(c, CLUSTER, action(Destination.WARM_POOL), c.clock.now() + 20_000);
      expect(decision).toMatchObject({ result: "ABANDON", outcome: "abandoned" });
      expect(decision.reason).toMatch(/never tagged warmfleet:host-ready \(its user data did not finish\).*last: no warmfleet:host-ready tag yet \(state running\)/);
    });
  });
});

describe("processEvent in ECS_HOST mode", () => {
  function run(event: unknown) {
    autoScalingMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [{ InstanceId: INSTANCE, LifecycleState: "Pending:Wait", AutoScalingGroupName: "hosts", AvailabilityZone: "us-east-1a", HealthStatus: "HEALTHY", ProtectedFromScaleIn: true }] });
    autoScalingMock.on(CompleteLifecycleActionCommand).resolves({});
    autoScalingMock.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const clock = new FakeClock();
    const http = fakeHttp(clock, () => ({ status: 200 }));
    const config = loadConfig({ WARMUP_MODE: "ECS_HOST", WARMUP_ECS_CLUSTER: CLUSTER, WARMUP_AUTO_SCALING_GROUP_NAME: "hosts" }, __dirname);
    const deps = { config, ec2: new EC2Client({}), autoScaling: new AutoScalingClient({}), ecs: new ECSClient({}), http, clock, log: memoryLogger() };
    return { result: processEvent(event, clock.now() + 900_000, deps), http };
  }

  test("GIVEN a launch into service WHEN the agent connects THEN the action is completed with CONTINUE and no HTTP request reaches the instance", async () => {
    agentRegistersOnCheck(1);
    const { result, http } = run(lifecycleEvent({ AutoScalingGroupName: "hosts", LifecycleHookName: "hosts-launch" }));
    await expect(result).resolves.toMatchObject({ outcome: "prepared", result: "CONTINUE", completion: "completed" });
    expect(http.calls).toEqual([]);
    expect(autoScalingMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, { InstanceId: INSTANCE, LifecycleActionResult: "CONTINUE", AutoScalingGroupName: "hosts" });
  });

  test("GIVEN a launch into the warm pool WHEN the host-ready tag is there THEN CONTINUE (the instance stops with its images)", async () => {
    instanceTags(() => [{ Key: HOST_READY_TAG, Value: "1" }]);
    const { result } = run(lifecycleEvent({ AutoScalingGroupName: "hosts", LifecycleHookName: "hosts-launch", Origin: "EC2", Destination: "WarmPool" }));
    await expect(result).resolves.toMatchObject({ outcome: "prepared", result: "CONTINUE" });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});

describe("ECS_HOST configuration", () => {
  test("GIVEN WARMUP_MODE=ECS_HOST without a cluster WHEN loaded THEN it fails naming both variables", () => {
    expect(() => loadConfig({ WARMUP_MODE: "ECS_HOST" }, __dirname)).toThrow(ConfigError);
    expect(() => loadConfig({ WARMUP_MODE: "ECS_HOST" }, __dirname)).toThrow(/WARMUP_MODE=ECS_HOST needs WARMUP_ECS_CLUSTER/);
  });

  test("GIVEN no WARMUP_MODE WHEN loaded THEN the mode is HTTP", () => {
    expect(loadConfig({}, __dirname)).toMatchObject({ mode: "HTTP", ecsCluster: undefined });
  });
});
