import { RECONCILER_SOURCE } from "../warmup/event";

/** Where a dead letter came from: the rule target's DLQ holds the event, Lambda's on-failure destination an invocation record. */
export type DeadLetterOrigin = "rule-target" | "on-failure";

export type DeadLetter =
  | { readonly kind: "lifecycle"; readonly instanceId: string; readonly groupName: string; readonly origin: DeadLetterOrigin }
  | { readonly kind: "malformed"; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads one message of the warmup hook's dead-letter queue. Two shapes arrive there: the
 * EventBridge target's dead letter is the lifecycle event itself; Lambda's on-failure destination
 * wraps it as `requestPayload` of an invocation record. Only the instance and its group are
 * taken: the token and destination may be stale by now, so a re-drive works from the current state.
 */
export function parseDeadLetter(body: string | undefined): DeadLetter {
  if (body === undefined || body.length === 0) return malformed("empty body");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return malformed("body is not JSON");
  }
  if (!isRecord(parsed)) return malformed("body is not a JSON object");
  const onFailure = "requestPayload" in parsed;
  const event = onFailure ? parsed.requestPayload : parsed;
  if (!isRecord(event)) return malformed("requestPayload is not a JSON object");
  if (event.source !== "aws.autoscaling" && event.source !== RECONCILER_SOURCE) return malformed(`source ${JSON.stringify(event.source)} is not a lifecycle event's`);
  const detail = event.detail;
  if (!isRecord(detail)) return malformed("event has no detail object");
  const { EC2InstanceId: instanceId, AutoScalingGroupName: groupName } = detail;
  if (typeof instanceId !== "string" || !/^i-[0-9a-f]{8,17}$/.test(instanceId)) return malformed(`detail.EC2InstanceId ${JSON.stringify(instanceId)} is not an instance id`);
  if (typeof groupName !== "string" || groupName.length === 0) return malformed("detail.AutoScalingGroupName is missing");
  return { kind: "lifecycle", instanceId, groupName, origin: onFailure ? "on-failure" : "rule-target" };
}

function malformed(reason: string): DeadLetter {
  return { kind: "malformed", reason };
}
