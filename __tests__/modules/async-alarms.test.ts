import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { ASYNC_WORKER_ERROR_EVENTS, AsyncAlarms, AsyncAlarmsProps } from "../../modules/async-alarms";
import { count, resources, synth } from "../support/synth";
import { queueIn, statements } from "../support/async";

const TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:oncall";

function alarms(overrides: Partial<AsyncAlarmsProps> = {}) {
  let built: AsyncAlarms | undefined;
  const result = synth((scope: Construct) => {
    built = new AsyncAlarms(scope, "Alarms", { name: "infer", queue: queueIn(scope), ...overrides });
  });
  return { ...result, alarms: built as AsyncAlarms };
}

describe("AsyncAlarms", () => {
  test("GIVEN a queue WHEN synthesized THEN the first dead letter raises an alarm on a new topic", () => {
    const { text } = alarms();
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "infer-dead-letters",
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: expect.stringMatching(/aws_sqs_queue\.Requests_DeadLetterQueue_\w+\.name/) },
      statistic: "Maximum",
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
      alarm_actions: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/)],
    });
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "infer-async-alerts" });
  });

  test("GIVEN a maximum age WHEN synthesized THEN the oldest message alarms above it for three minutes", () => {
    const { text, alarms: a } = alarms({ maxMessageAgeSeconds: 600 });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "infer-oldest-message-age",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: expect.stringMatching(/aws_sqs_queue\.Requests_Queue_\w+\.name/) },
      threshold: 600,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
    });
    expect(a.oldestMessageAlarmName).toBe("infer-oldest-message-age");
  });

  test("GIVEN Lambda workers WHEN synthesized THEN each one's Errors alarm, and only these alarms may publish to the topic", () => {
    const { json, text, alarms: a } = alarms({ lambdaWorkers: [{ functionName: "infer-worker" }] });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "infer-worker-errors-infer-worker",
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      dimensions: { FunctionName: "infer-worker" },
      statistic: "Sum",
      threshold: 0,
    });
    expect(a.workerErrorAlarmNames).toEqual(["infer-worker-errors-infer-worker"]);
    const [statement] = statements(json, "Alarms_TopicPolicyDocument");
    expect(statement).toMatchObject({ principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }], actions: ["sns:Publish"] });
    expect(statement.condition[0].values).toHaveLength(3);
  });

  test("GIVEN container workers WHEN synthesized THEN a metric filter on each one's log group counts its error log lines, and an alarm above zero notifies the topic", () => {
    const { json, text, alarms: a } = alarms({
      containerWorkers: [
        { serviceName: "infer-slow-workers", logGroupName: "/ecs/infer-slow-workers" },
        { serviceName: "infer-gpu-workers", logGroupName: "/ecs/infer-gpu-workers" },
      ],
    });
    expect(text).toHaveResourceWithProperties(CloudwatchLogMetricFilter, {
      name: "infer-worker-errors-infer-slow-workers",
      log_group_name: "/ecs/infer-slow-workers",
      pattern: '{ ($.event = "processing-error") || ($.event = "compute-failed") || ($.event = "receive-error") || ($.event = "delete-error") || ($.event = "heartbeat-error") || ($.event = "lease-release-error") }',
      metric_transformation: { name: "infer-slow-workers-worker-errors", namespace: "Warmfleet/AsyncWorkers", value: "1", unit: "Count" },
    });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "infer-worker-errors-infer-slow-workers",
      namespace: "Warmfleet/AsyncWorkers",
      metric_name: "infer-slow-workers-worker-errors",
      statistic: "Sum",
      period: 60,
      evaluation_periods: 1,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
      alarm_actions: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/)],
    });
    expect(text).toHaveResourceWithProperties(CloudwatchLogMetricFilter, { log_group_name: "/ecs/infer-gpu-workers", metric_transformation: expect.objectContaining({ name: "infer-gpu-workers-worker-errors" }) });
    expect(ASYNC_WORKER_ERROR_EVENTS).toEqual(expect.arrayContaining(["processing-error", "compute-failed"]));
    expect(a.containerWorkerErrorAlarmNames).toEqual(["infer-worker-errors-infer-slow-workers", "infer-worker-errors-infer-gpu-workers"]);
    expect(a.workerErrorAlarmNames).toEqual([]);
    // Keyed by service name, not list position; and these alarms may publish to the topic.
    expect(Object.keys(resources(json, "aws_cloudwatch_log_metric_filter")).sort()).toEqual([
      expect.stringMatching(/^Alarms_ContainerWorkerErrorsFilter-infer-gpu-workers_/),
      expect.stringMatching(/^Alarms_ContainerWorkerErrorsFilter-infer-slow-workers_/),
    ]);
    expect(count(json, "aws_cloudwatch_metric_alarm")).toBe(4);
    const [statement] = statements(json, "Alarms_TopicPolicyDocument");
    expect(statement.condition[0].values).toHaveLength(4);
  });

  test("GIVEN a metric namespace WHEN synthesized THEN the container worker's filter and alarm use it", () => {
    const { text, alarms: a } = alarms({ workerMetricNamespace: "Infer/Workers", containerWorkers: [{ serviceName: "svc", logGroupName: "/ecs/svc" }] });
    expect(text).toHaveResourceWithProperties(CloudwatchLogMetricFilter, { metric_transformation: expect.objectContaining({ namespace: "Infer/Workers" }) });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "infer-worker-errors-svc", namespace: "Infer/Workers" });
    expect(a.workerMetricNamespace).toBe("Infer/Workers");
  });

  test("GIVEN a topic WHEN synthesized THEN no topic or policy is created and the alarms notify it", () => {
    const { json } = alarms({ topicArn: TOPIC });
    expect(count(json, "aws_sns_topic")).toBe(2);
    expect(count(json, "aws_sns_topic_policy")).toBe(0);
    for (const alarm of Object.values(resources(json, "aws_cloudwatch_metric_alarm"))) expect(alarm.alarm_actions).toEqual([TOPIC]);
  });

  test.each([
    ["a topic name instead of an ARN", { topicArn: "oncall" }, /invalid topicArn = "oncall"/],
    ["an age of 30 s", { maxMessageAgeSeconds: 30 }, /invalid maxMessageAgeSeconds = 30/],
    ["a name with a slash", { name: "in/fer" }, /invalid name = "in\/fer"/],
    ["a worker twice", { lambdaWorkers: [{ functionName: "w" }, { functionName: "w" }] }, /invalid lambdaWorkers = "w"/],
    ["a container worker twice", { containerWorkers: [{ serviceName: "s", logGroupName: "/ecs/a" }, { serviceName: "s", logGroupName: "/ecs/b" }] }, /invalid containerWorkers = "s"/],
    ["a container worker named like a Lambda worker", { lambdaWorkers: [{ functionName: "w" }], containerWorkers: [{ serviceName: "w", logGroupName: "/ecs/w" }] }, /invalid containerWorkers = "w".*share a name/],
    ["a container worker name with a slash", { containerWorkers: [{ serviceName: "a/b", logGroupName: "/ecs/a" }] }, /invalid containerWorkers = "a\/b"/],
    ["a container worker whose name is a token", { containerWorkers: [{ serviceName: Lazy.stringValue({ produce: () => "svc" }), logGroupName: "/ecs/a" }] }, /invalid containerWorkers = .*literal names/],
    ["an AWS/ namespace", { workerMetricNamespace: "AWS/ECS" }, /invalid workerMetricNamespace = "AWS\/ECS"/],
  ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
    expect(() => alarms(overrides as Partial<AsyncAlarmsProps>)).toThrow(message);
  });
});
