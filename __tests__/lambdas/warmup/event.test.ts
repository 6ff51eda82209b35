import { Destination, parseLifecycleEvent } from "../../../lambdas/warmup/event";
import { lifecycleEvent } from "./fakes";

describe("parseLifecycleEvent", () => {
  test.each([
    ["EC2 -> WarmPool", { Origin: "EC2", Destination: "WarmPool" }, Destination.WARM_POOL],
    ["WarmPool -> AutoScalingGroup", { Origin: "WarmPool", Destination: "AutoScalingGroup" }, Destination.AUTO_SCALING_GROUP],
    ["EC2 -> AutoScalingGroup", { Origin: "EC2", Destination: "AutoScalingGroup" }, Destination.AUTO_SCALING_GROUP],
    ["no Origin/Destination (group without warm pool)", {}, Destination.AUTO_SCALING_GROUP],
  ])("GIVEN a %s event WHEN parsed THEN the action carries its destination", (_label, extra, destination) => {
    const parsed = parseLifecycleEvent(lifecycleEvent(extra));
    expect(parsed).toEqual({
      kind: "action",
      action: {
        token: "c613620e-07e2-4ed2-a9e2-ef8258911ade",
        groupName: "fleet",
        hookName: "fleet-launch",
        instanceId: "i-0123456789abcdef0",
        origin: (extra as { Origin?: string }).Origin,
        destination,
      },
    });
  });

  const event = lifecycleEvent();
  test.each<[string, unknown, RegExp]>([
    ["null", null, /not a JSON object/],
    ["a string", "hello", /not a JSON object/],
    ["an array", [event], /not a JSON object/],
    ["another source", { ...event, source: "aws.ec2" }, /source "aws.ec2" is not aws.autoscaling/],
    ["a terminate action", { ...event, "detail-type": "EC2 Instance-terminate Lifecycle Action" }, /detail-type/],
    ["a test notification", { ...event, detail: { Event: "autoscaling:TEST_NOTIFICATION", AutoScalingGroupName: "fleet" } }, /test notification/],
    ["no detail", { ...event, detail: undefined }, /no detail object/],
    ["a terminating transition", lifecycleEvent({ LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING" }), /transition/],
    ["no token", lifecycleEvent({ LifecycleActionToken: "" }), /LifecycleActionToken is missing/],
    ["no group", lifecycleEvent({ AutoScalingGroupName: 7 }), /AutoScalingGroupName is missing/],
    ["no hook", lifecycleEvent({ LifecycleHookName: undefined }), /LifecycleHookName is missing/],
    ["a bad instance id", lifecycleEvent({ EC2InstanceId: "i-xyz; rm -rf /" }), /is not an instance id/],
    ["an unknown destination", lifecycleEvent({ Destination: "Elsewhere" }), /neither WarmPool nor AutoScalingGroup/],
    ["a non-string origin", lifecycleEvent({ Origin: 5 }), /Origin is not a string/],
  ])("GIVEN %s WHEN parsed THEN it is ignored with a reason", (_label, input, reason) => {
    const parsed = parseLifecycleEvent(input);
    expect(parsed.kind).toBe("ignored");
    expect(parsed.kind === "ignored" && parsed.reason).toMatch(reason);
  });
});
