import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { AsyncAlarms, AsyncAlarmsProps } from "../../modules/async-alarms";
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
  ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
    expect(() => alarms(overrides as Partial<AsyncAlarmsProps>)).toThrow(message);
  });
});
