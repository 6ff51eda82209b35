/** Where an instance is heading in this lifecycle action. */
export enum Destination {
  /** First boot of an instance that will stop into the warm pool: set up, but nothing to warm. */
  WARM_POOL = "WarmPool",
  /** The instance will take traffic: set up and warm. */
  AUTO_SCALING_GROUP = "AutoScalingGroup",
}

export interface LifecycleAction {
  /** Undefined in the reconciler's events: the action is then completed by instance id. */
  readonly token: string | undefined;
  readonly groupName: string;
  readonly hookName: string;
  readonly instanceId: string;
  readonly origin: string | undefined;
  readonly destination: Destination;
}

export type ParsedEvent = { readonly kind: "action"; readonly action: LifecycleAction } | { readonly kind: "ignored"; readonly reason: string };

const DETAIL_TYPE = "EC2 Instance-launch Lifecycle Action";
/** Source of the events lambdas/warmup-reconciler sends: same detail, no token. */
export const RECONCILER_SOURCE = "warmfleet.reconciler";
const LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * Strictly parses an EventBridge Auto Scaling launch lifecycle event. Anything else (a foreign
 * event, a test notification, a malformed detail) is "ignored" with a reason rather than thrown,
 * so it is logged once instead of being retried by the async invocation machinery.
 */
export function parseLifecycleEvent(event: unknown): ParsedEvent {
  if (!isRecord(event)) return ignored("event is not a JSON object");
  const reconciled = event.source === RECONCILER_SOURCE;
  if (event.source !== "aws.autoscaling" && !reconciled) return ignored(`source ${JSON.stringify(event.source)} is not aws.autoscaling (nor ${RECONCILER_SOURCE})`);
  const detail = event.detail;
  if (!isRecord(detail)) return ignored("event has no detail object");
  if (detail.Event === "autoscaling:TEST_NOTIFICATION") return ignored("test notification");
  if (event["detail-type"] !== DETAIL_TYPE) return ignored(`detail-type ${JSON.stringify(event["detail-type"])} is not ${DETAIL_TYPE}`);
  if (detail.LifecycleTransition !== LAUNCHING) return ignored(`transition ${JSON.stringify(detail.LifecycleTransition)} is not ${LAUNCHING}`);
  const { LifecycleActionToken, AutoScalingGroupName, LifecycleHookName, EC2InstanceId, Origin, Destination: destination } = detail;
  // Only Auto Scaling knows the token; the reconciler's runs complete by instance id.
  if (!reconciled && !nonEmptyString(LifecycleActionToken)) return ignored("detail.LifecycleActionToken is missing");
  if (reconciled && LifecycleActionToken !== undefined) return ignored("a reconciler event carries no LifecycleActionToken");
  if (!nonEmptyString(AutoScalingGroupName)) return ignored("detail.AutoScalingGroupName is missing");
  if (!nonEmptyString(LifecycleHookName)) return ignored("detail.LifecycleHookName is missing");
  if (!nonEmptyString(EC2InstanceId) || !/^i-[0-9a-f]{8,17}$/.test(EC2InstanceId)) return ignored(`detail.EC2InstanceId ${JSON.stringify(EC2InstanceId)} is not an instance id`);
  if (Origin !== undefined && !nonEmptyString(Origin)) return ignored("detail.Origin is not a string");
  const parsedDestination = parseDestination(destination);
  if (parsedDestination === undefined) return ignored(`detail.Destination ${JSON.stringify(destination)} is neither WarmPool nor AutoScalingGroup`);
  return {
    kind: "action",
    action: {
      token: LifecycleActionToken as string | undefined,
      groupName: AutoScalingGroupName,
      hookName: LifecycleHookName,
      instanceId: EC2InstanceId,
      origin: Origin as string | undefined,
      destination: parsedDestination,
    },
  };
}

function parseDestination(value: unknown): Destination | undefined {
  // Groups without a warm pool send neither Origin nor Destination: the instance goes into service.
  if (value === undefined) return Destination.AUTO_SCALING_GROUP;
  if (value === Destination.WARM_POOL || value === Destination.AUTO_SCALING_GROUP) return value;
  return undefined;
}

function ignored(reason: string): ParsedEvent {
  return { kind: "ignored", reason };
}
