import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { AlarmedReconciler, AlarmedWarmup, FleetAlarms, FleetAlarmsProps } from "../../modules/fleet-alarms";
import { count, resources, synth } from "../support/synth";

const warmup: AlarmedWarmup = { autoScalingGroupName: "fleet", functionName: "fleet-warmup", deadLetterQueueName: "fleet-warmup-dlq", metricsNamespace: "Warmfleet/Warmup" };
const reconciler: AlarmedReconciler = { functionName: "fleet-reconciler", scheduleDeadLetterQueueName: "fleet-reconciler-schedule-dlq", metricsNamespace: "Warmfleet/Warmup" };

function alarms(overrides: Partial<FleetAlarmsProps> = {}) {
  let built: FleetAlarms | undefined;
  const result = synth((scope: Construct) => {
    built = new FleetAlarms(scope, "Alarms", { name: "prod", warmup, reconciler, ...overrides });
  });
  return { ...result, alarms: built as FleetAlarms };
}

function statements(json: ReturnType<typeof alarms>["json"], id: string): Array<Record<string, unknown>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id)) ?? [];
  return (document?.statement ?? []) as Array<Record<string, unknown>>;
}

describe("FleetAlarms", () => {
  const all = alarms();

  test("GIVEN a warmup path and a reconciler WHEN synthesized THEN nine alarms notify one topic on alarm and on recovery", () => {
    expect(Object.keys(all.alarms.alarmNames)).toEqual([
      "deadLetters",
      "abandoned",
      "warmupErrors",
      "warmupThrottles",
      "warmupDurationP99",
      "reconcilerErrors",
      "reconcilerThrottles",
      "scheduleDeadLetters",
      "stuckInstances",
    ]);
    for (const alarm of Object.values(resources(all.json, "aws_cloudwatch_metric_alarm"))) {
      expect(alarm).toMatchObject({ alarm_actions: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic/)], ok_actions: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic/)], treat_missing_data: "notBreaching" });
    }
  });

  test.each([
    ["dead letters", { alarm_name: "prod-dead-letters", namespace: "AWS/SQS", metric_name: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "fleet-warmup-dlq" }, threshold: 0 }],
    ["ABANDONs", { alarm_name: "prod-abandoned", namespace: "Warmfleet/Warmup", metric_name: "Outcome_abandoned", dimensions: { AutoScalingGroupName: "fleet" }, statistic: "Sum", threshold: 0 }],
    ["warmup errors", { alarm_name: "prod-warmup-errors", namespace: "AWS/Lambda", metric_name: "Errors", dimensions: { FunctionName: "fleet-warmup" } }],
    ["warmup throttles", { alarm_name: "prod-warmup-throttles", namespace: "AWS/Lambda", metric_name: "Throttles", dimensions: { FunctionName: "fleet-warmup" } }],
    ["warmup p99", { alarm_name: "prod-warmup-duration-p99", metric_name: "DurationMs", extended_statistic: "p99", threshold: 600_000, period: 900 }],
    ["reconciler errors", { alarm_name: "prod-reconciler-errors", metric_name: "Errors", dimensions: { FunctionName: "fleet-reconciler" } }],
    ["schedule dead letters", { alarm_name: "prod-schedule-dead-letters", dimensions: { QueueName: "fleet-reconciler-schedule-dlq" } }],
    ["stuck instances", { alarm_name: "prod-stuck-instances", metric_name: "StuckInstances", statistic: "Maximum", period: 60, evaluation_periods: 3, datapoints_to_alarm: 2 }],
  ])("GIVEN defaults WHEN synthesized THEN the %s alarm watches the right metric", (_label, properties) => {
    expect(all.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, { comparison_operator: "GreaterThanThreshold", ...properties });
  });

  test("GIVEN no topic WHEN synthesized THEN the new topic is encrypted with a rotating customer key CloudWatch may use, and only these alarms may publish", () => {
    expect(all.text).toHaveResourceWithProperties(SnsTopic, { name: "prod-fleet-alerts", kms_master_key_id: expect.stringMatching(/aws_kms_key\.Alarms_TopicKey_\w+\.arn/) });
    expect(all.text).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    const key = statements(all.json, "TopicKeyPolicy").find((s) => s.sid === "CloudWatchAlarmsEncrypt");
    expect(key).toMatchObject({ actions: ["kms:GenerateDataKey*", "kms:Decrypt"], principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }] });
    const publish = statements(all.json, "TopicPolicyDocument")[0] as { condition: Array<{ values: string[] }> };
    expect(publish.condition[0].values).toHaveLength(9);
  });

  test("GIVEN a topic, no reconciler and a p99 bound WHEN synthesized THEN no topic or key is made, five alarms use the given topic", () => {
    const topicArn = "arn:aws:sns:us-east-1:123456789012:oncall";
    const { json, text } = alarms({ topicArn, reconciler: undefined, warmupDurationP99Seconds: 240 });
    expect(count(json, "aws_sns_topic") + count(json, "aws_kms_key")).toBe(0);
    expect(count(json, "aws_cloudwatch_metric_alarm")).toBe(5);
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "prod-warmup-duration-p99", threshold: 240_000, alarm_actions: [topicArn] });
  });

  describe("validation", () => {
    test.each([
      ["name", { name: "prod alarms" }, /name/],
      ["p99 bound", { warmupDurationP99Seconds: 5 }, /warmupDurationP99Seconds/],
      ["topic", { topicArn: "oncall" }, /topicArn/],
    ])("GIVEN a bad %s WHEN synthesized THEN it fails naming the prop", (_label, overrides, error) => {
      expect(() => alarms(overrides)).toThrow(error);
    });
  });
});
