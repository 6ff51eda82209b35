import { createServer, IncomingMessage, Server } from "node:http";
import { closeNow, listenOnLoopback, readBody } from "./loopback-http";

/** One AWS query-protocol call the server received. */
export interface RecordedCall {
  readonly service: "ec2" | "autoscaling" | "sts" | "unknown";
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
}

/** An instance as DescribeInstances reports it. */
export interface FakeInstance {
  readonly instanceId: string;
  readonly privateIpAddress: string;
  readonly state?: string;
  /** Reported as InstanceType when set. */
  readonly instanceType?: string;
  /** Reported as CpuOptions (the launched instance's vCPUs = cores x threads) when set. */
  readonly cpuOptions?: { readonly coreCount: number; readonly threadsPerCore: number };
}

/** What the fake Auto Scaling answers for one instance. */
export interface FakeLifecycleState {
  /** LifecycleState reported by DescribeAutoScalingInstances, e.g. "Pending:Wait". */
  lifecycleState: string;
  /** Token of the active action; completing or heartbeating another token is a ValidationError. */
  activeToken?: string;
}

export interface LoopbackAws {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly calls: RecordedCall[];
  readonly instances: Map<string, FakeInstance>;
  readonly lifecycle: Map<string, FakeLifecycleState>;
  close(): Promise<void>;
}

const ACCOUNT_ID = "123456789012";

/**
 * A loopback stand-in for the AWS query-protocol APIs warmfleet touches: STS GetCallerIdentity
 * (Terraform data sources), EC2 DescribeInstances and the Auto Scaling lifecycle calls (the
 * warmup Lambda), and DescribeAutoScalingGroups / DescribeWarmPool (the reconciler: one group
 * holding every instance, those in a Warmed:* state in its pool). Completing an action ends it,
 * by token or, without one, by instance id, like the real service, so a second completion
 * gets the real "No active Lifecycle Action found" ValidationError.
 */
export async function startLoopbackAws(): Promise<LoopbackAws> {
  const calls: RecordedCall[] = [];
  const instances = new Map<string, FakeInstance>();
  const lifecycle = new Map<string, FakeLifecycleState>();
  const server: Server = createServer((req, res) => {
    readBody(req).then((body) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const action = params.Action ?? "";
      const service = serviceOf(req, action);
      calls.push({ service, action, params });
      const [status, xml] = answer(service, action, params, instances, lifecycle);
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": "loopback" });
      res.end(xml);
    }, () => res.destroy());
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    instances,
    lifecycle,
    close: () => closeNow(server),
  };
}

function serviceOf(req: IncomingMessage, action: string): RecordedCall["service"] {
  // SigV4 names the service in the credential scope: .../<region>/<service>/aws4_request
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? "");
  const service = scope?.[1];
  if (service === "ec2" || service === "autoscaling" || service === "sts") return service;
  if (action === "GetCallerIdentity") return "sts";
  return "unknown";
}

function answer(
  service: RecordedCall["service"],
  action: string,
  params: Record<string, string>,
  instances: Map<string, FakeInstance>,
  lifecycle: Map<string, FakeLifecycleState>,
): [number, string] {
  switch (`${service}:${action}`) {
    case "sts:GetCallerIdentity":
      return [200, stsIdentity()];
    case "ec2:DescribeInstances":
      return describeInstances(params, instances);
    case "autoscaling:DescribeAutoScalingInstances":
      return [200, describeAutoScalingInstances(params, lifecycle)];
    case "autoscaling:DescribeAutoScalingGroups":
      return [200, describeAutoScalingGroups(params, lifecycle)];
    case "autoscaling:DescribeWarmPool":
      return [200, describeWarmPool(lifecycle)];
    case "autoscaling:CompleteLifecycleAction":
      return lifecycleAction(action, params, lifecycle, true);
    case "autoscaling:RecordLifecycleActionHeartbeat":
      return lifecycleAction(action, params, lifecycle, false);
    default:
      return [400, queryError("InvalidAction", `loopback AWS does not implement ${service}:${action}`)];
  }
}

function stsIdentity(): string {
  return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT_ID}:user/offline</Arn><UserId>AIDAOFFLINE</UserId><Account>${ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>loopback</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
}

function describeInstances(params: Record<string, string>, instances: Map<string, FakeInstance>): [number, string] {
  const ids = Object.entries(params)
    .filter(([k]) => /^InstanceId\.\d+$/.test(k))
    .map(([, v]) => v);
  const missing = ids.find((id) => !instances.has(id));
  if (missing) {
    return [400, ec2Error("InvalidInstanceID.NotFound", `The instance ID '${missing}' does not exist`)];
  }
  const items = ids
    .map((id) => instances.get(id) as FakeInstance)
    .map(
      (i) =>
        `<item><instanceId>${i.instanceId}</instanceId><privateIpAddress>${i.privateIpAddress}</privateIpAddress><instanceState><code>16</code><name>${i.state ?? "running"}</name></instanceState>` +
        (i.instanceType ? `<instanceType>${i.instanceType}</instanceType>` : "") +
        (i.cpuOptions ? `<cpuOptions><coreCount>${i.cpuOptions.coreCount}</coreCount><threadsPerCore>${i.cpuOptions.threadsPerCore}</threadsPerCore></cpuOptions>` : "") +
        `</item>`,
    )
    .join("");
  const reservations = items ? `<item><reservationId>r-loopback</reservationId><instancesSet>${items}</instancesSet></item>` : "";
  return [
    200,
    `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>loopback</requestId><reservationSet>${reservations}</reservationSet></DescribeInstancesResponse>`,
  ];
}

function describeAutoScalingInstances(params: Record<string, string>, lifecycle: Map<string, FakeLifecycleState>): string {
  const ids = Object.entries(params)
    .filter(([k]) => /^InstanceIds\.member\.\d+$/.test(k))
    .map(([, v]) => v);
  const members = ids
    .filter((id) => lifecycle.has(id))
    .map(
      (id) =>
        `<member><InstanceId>${id}</InstanceId><AutoScalingGroupName>loopback</AutoScalingGroupName><AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>${(lifecycle.get(id) as FakeLifecycleState).lifecycleState}</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
    )
    .join("");
  return `<DescribeAutoScalingInstancesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingInstancesResult><AutoScalingInstances>${members}</AutoScalingInstances></DescribeAutoScalingInstancesResult><ResponseMetadata><RequestId>loopback</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>`;
}

/** Every instance is in the one group asked for; instances in a Warmed:* state are in its warm pool instead. */
function describeAutoScalingGroups(params: Record<string, string>, lifecycle: Map<string, FakeLifecycleState>): string {
  const group = params["AutoScalingGroupNames.member.1"] ?? "loopback";
  const members = instanceMembers(lifecycle, (state) => !state.startsWith("Warmed:"));
  return `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>${group}</AutoScalingGroupName><MinSize>0</MinSize><MaxSize>10</MaxSize><DesiredCapacity>${members.length}</DesiredCapacity><Instances>${members.join("")}</Instances></member></AutoScalingGroups></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>loopback</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`;
}

function describeWarmPool(lifecycle: Map<string, FakeLifecycleState>): string {
  const members = instanceMembers(lifecycle, (state) => state.startsWith("Warmed:"));
  return `<DescribeWarmPoolResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeWarmPoolResult><WarmPoolConfiguration><PoolState>Stopped</PoolState></WarmPoolConfiguration><Instances>${members.join("")}</Instances></DescribeWarmPoolResult><ResponseMetadata><RequestId>loopback</RequestId></ResponseMetadata></DescribeWarmPoolResponse>`;
}

function instanceMembers(lifecycle: Map<string, FakeLifecycleState>, include: (state: string) => boolean): string[] {
  return [...lifecycle.entries()]
    .filter(([, state]) => include(state.lifecycleState))
    .map(([id, state]) => `<member><InstanceId>${id}</InstanceId><AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>${state.lifecycleState}</LifecycleState><HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`);
}

function lifecycleAction(
  action: string,
  params: Record<string, string>,
  lifecycle: Map<string, FakeLifecycleState>,
  completes: boolean,
): [number, string] {
  const state = lifecycle.get(params.InstanceId ?? "");
  // Without a token, Auto Scaling acts on the instance's open action, like the real service.
  const token = params.LifecycleActionToken ?? state?.activeToken;
  if (!state || !state.activeToken || state.activeToken !== token) {
    return [400, queryError("ValidationError", `No active Lifecycle Action found with token ${params.LifecycleActionToken}`)];
  }
  if (completes) {
    state.activeToken = undefined;
    state.lifecycleState = params.LifecycleActionResult === "CONTINUE" ? nextState(state.lifecycleState) : "Terminating";
  }
  return [
    200,
    `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/><ResponseMetadata><RequestId>loopback</RequestId></ResponseMetadata></${action}Response>`,
  ];
}

function nextState(waiting: string): string {
  return waiting.startsWith("Warmed:") ? "Warmed:Stopped" : "InService";
}

function queryError(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>loopback</RequestId></ErrorResponse>`;
}

function ec2Error(code: string, message: string): string {
  return `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>loopback</RequestID></Response>`;
}
