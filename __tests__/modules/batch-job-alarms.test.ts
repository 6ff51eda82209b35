import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { BatchPlatform } from "../../modules/batch-compute-environment";
import { BatchJobAlarms, BatchJobAlarmsProps } from "../../modules/batch-job-alarms";
import { IBatchJobQueue } from "../../modules/batch-job-queue";
import { SynthJson, count, resources, single, synth } from "../support/synth";

const QUEUE_ARN = "arn:aws:batch:ap-northeast-1:123456789012:job-queue/nightly";
const jobQueue: IBatchJobQueue = { jobQueueArn: QUEUE_ARN, jobQueueName: "nightly", platform: BatchPlatform.FARGATE, fairShareScheduling: false };
const nightly = { scheduleName: "nightly", deadLetterQueueName: "nightly-dlq" };
const weekly = { scheduleName: "weekly.full", deadLetterQueueName: "weekly-dlq" };

function alarms(overrides: Partial<BatchJobAlarmsProps> = {}) {
  let built: BatchJobAlarms | undefined;
  const result = synth((scope: Construct) => {
    built = new BatchJobAlarms(scope, "Alarms", { name: "nightly", jobQueue, ...overrides });
  });
  return { ...result, alarms: built as BatchJobAlarms };
}

function topicStatements(json: SynthJson): Array<Record<string, unknown>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes("TopicPolicyDocument")) ?? [];
  return (document?.statement ?? []) as Array<Record<string, unknown>>;
}

describe("BatchJobAlarms", () => {
  test("GIVEN a queue WHEN synthesized THEN a rule matches FAILED Batch job state changes of that queue only", () => {
    const { text, json } = alarms();
    expect(text).toHaveResourceWithProperties(CloudwatchEventRule, { name: "nightly-batch-job-failed" });
    const pattern = single(json, "aws_cloudwatch_event_rule").event_pattern as string;
    expect(pattern).toBe(
      `\${jsonencode({"source" = ["aws.batch"], "detail-type" = ["Batch Job State Change"], "detail" = {"status" = ["FAILED"], "jobQueue" = ["${QUEUE_ARN}"]}})}`,
    );
  });

  test("GIVEN a queue WHEN synthesized THEN failed jobs reach a new topic as one readable line", () => {
    const { text, alarms: a } = alarms();
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "nightly-batch-alerts" });
    expect(text).toHaveResourceWithProperties(CloudwatchEventTarget, {
      target_id: "notify",
      arn: expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/),
      input_transformer: {
        input_paths: { job: "$.detail.jobName", id: "$.detail.jobId", queue: "$.detail.jobQueue", reason: "$.detail.statusReason" },
        input_template: '"Batch job <job> (<id>) on <queue> FAILED: <reason>"',
      },
    });
    expect(a.topicArn).toBeDefined();
  });

  test("GIVEN schedules WHEN synthesized THEN each dead-letter queue alarms on its first message, keyed by schedule name", () => {
    const { text, json, alarms: a } = alarms({ schedules: [nightly, weekly] });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "nightly-dead-letters",
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "nightly-dlq" },
      statistic: "Maximum",
      period: 300,
      evaluation_periods: 1,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
      alarm_actions: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/)],
    });
    expect(Object.keys(resources(json, "aws_cloudwatch_metric_alarm")).sort()).toEqual([
      expect.stringMatching(/^Alarms_DeadLettersnightly_/),
      expect.stringMatching(/^Alarms_DeadLettersweeklyfull_/),
    ]);
    expect(a.deadLetterAlarmNames).toEqual(["nightly-dead-letters", "weekly.full-dead-letters"]);
  });

  test("GIVEN a new topic WHEN synthesized THEN only this rule and these alarms may publish to it", () => {
    const { json } = alarms({ schedules: [nightly] });
    expect(topicStatements(json)).toEqual([
      {
        sid: "FailedJobEvents",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: ["sns:Publish"],
        resources: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/)],
        condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/aws_cloudwatch_event_rule\.Alarms_FailedJobsRule_\w+\.arn/)] }],
      },
      {
        sid: "DeadLetterAlarms",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: ["sns:Publish"],
        resources: [expect.stringMatching(/aws_sns_topic\.Alarms_Topic_\w+\.arn/)],
        condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/aws_cloudwatch_metric_alarm\.Alarms_DeadLettersnightly_\w+\.arn/)] }],
      },
    ]);
  });

  test("GIVEN no schedules WHEN synthesized THEN no alarm, and the topic policy admits the rule only", () => {
    const { json } = alarms();
    expect(count(json, "aws_cloudwatch_metric_alarm")).toBe(0);
    expect(topicStatements(json).map((s) => s.sid)).toEqual(["FailedJobEvents"]);
  });

  test("GIVEN an existing topic WHEN synthesized THEN it is notified and neither a topic nor its policy is written", () => {
    const topicArn = "arn:aws:sns:ap-northeast-1:123456789012:oncall";
    const { json, alarms: a } = alarms({ topicArn, schedules: [nightly] });
    expect([count(json, "aws_sns_topic"), count(json, "aws_sns_topic_policy")]).toEqual([0, 0]);
    expect(single(json, "aws_cloudwatch_event_target").arn).toBe(topicArn);
    expect(single(json, "aws_cloudwatch_metric_alarm").alarm_actions).toEqual([topicArn]);
    expect(a.topicArn).toBe(topicArn);
  });

  describe("validation", () => {
    test.each<[string, Partial<BatchJobAlarmsProps>, RegExp]>([
      ["a topic name instead of an ARN", { topicArn: "oncall" }, /invalid topicArn = "oncall"\. Allowed: an SNS topic ARN/],
      ["the same schedule twice", { schedules: [nightly, nightly] }, /invalid schedules = "nightly"\. Allowed: each schedule once/],
      ["a name with a space", { name: "nightly alerts" }, /invalid name = "nightly alerts"/],
    ])("GIVEN %s WHEN synthesized THEN it is refused", (_, overrides, message) => {
      expect(() => alarms(overrides)).toThrow(message);
    });
  });
});
