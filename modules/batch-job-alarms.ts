import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { IBatchJobQueue } from "./batch-job-queue";
import { IBatchScheduleDeadLetters } from "./batch-schedule";
import { policyDocument, servicePublishes } from "./internal/policies";
import { requireBatchName } from "./internal/batch-validation";
import { PropValidationError, isUnresolved, requireArn } from "./internal/validation";
import { jsonencode } from "./internal/jsonencode";

export interface BatchJobAlarmsProps {
  /** Prefix of the rule, topic and alarm names, 1 to 50 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue whose FAILED jobs are reported. */
  readonly jobQueue: IBatchJobQueue;
  /** Schedules whose dead-letter queues raise an alarm as soon as they hold a message. @default - no dead-letter alarms */
  readonly schedules?: readonly IBatchScheduleDeadLetters[];
  /** SNS topic to notify; its policy must let events.amazonaws.com and cloudwatch.amazonaws.com publish. @default - a new topic "<name>-batch-alerts" with that policy */
  readonly topicArn?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const SNS_TOPIC = { service: "sns", regional: true, withAccount: true, resourcePrefix: "", example: "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)" };

/**
 * The two ways a scheduled Batch run fails silently, turned into notifications on one SNS topic:
 * a job of the queue that ends FAILED (an EventBridge rule on "Batch Job State Change"), and a
 * submission Scheduler gave up on (an alarm on each schedule's dead-letter queue).
 */
export class BatchJobAlarms extends Construct {
  /** ARN of the topic notified. */
  public readonly topicArn: string;
  /** ARN of the EventBridge rule matching FAILED jobs of the queue. */
  public readonly failedJobsRuleArn: string;
  /** Names of the dead-letter alarms, one per schedule (known at synth time). */
  public readonly deadLetterAlarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: BatchJobAlarmsProps) {
    super(scope, id);
    validateAlarmProps(this, props);
    const tags = props.tags ?? {};
    const { arn: topicArn, created: topic } = this.topic(props, tags);
    this.topicArn = topicArn;

    const rule = new CloudwatchEventRule(this, "FailedJobsRule", {
      name: `${props.name}-batch-job-failed`,
      description: `FAILED jobs of the Batch queue ${props.jobQueue.jobQueueName}`,
      // jsonencode, not a JSON string: the queue ARN is a reference.
      eventPattern: jsonencode({
        source: ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        detail: { status: ["FAILED"], jobQueue: [props.jobQueue.jobQueueArn] },
      }),
      tags,
    });
    this.failedJobsRuleArn = rule.arn;
    new CloudwatchEventTarget(this, "FailedJobsTarget", {
      rule: rule.name,
      targetId: "notify",
      arn: this.topicArn,
      // One readable line instead of the whole event; the job id leads to its logs.
      inputTransformer: {
        inputPaths: { job: "$.detail.jobName", id: "$.detail.jobId", queue: "$.detail.jobQueue", reason: "$.detail.statusReason" },
        inputTemplate: '"Batch job <job> (<id>) on <queue> FAILED: <reason>"',
      },
    });

    const alarms = (props.schedules ?? []).map((schedule) => this.deadLetterAlarm(schedule, tags));
    this.deadLetterAlarmNames = (props.schedules ?? []).map(deadLetterAlarmName);
    if (topic) this.topicPolicy(topic, rule, alarms);
  }

  /** The given topic, or a new one this construct also writes the policy of. */
  private topic(props: BatchJobAlarmsProps, tags: Readonly<Record<string, string>>): { arn: string; created?: SnsTopic } {
    if (props.topicArn !== undefined) return { arn: props.topicArn };
    const created = new SnsTopic(this, "Topic", { name: `${props.name}-batch-alerts`, tags });
    return { arn: created.arn, created };
  }

  private deadLetterAlarm(schedule: IBatchScheduleDeadLetters, tags: Readonly<Record<string, string>>): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, `DeadLetters${schedule.scheduleName.replace(/[^A-Za-z0-9]/g, "")}`, {
      alarmName: deadLetterAlarmName(schedule),
      alarmDescription: `EventBridge Scheduler gave up submitting the Batch job of ${schedule.scheduleName}: the run did not start. The message in ${schedule.deadLetterQueueName} holds the error.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: schedule.deadLetterQueueName },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      // SQS stops sending the metric for an idle queue: no data means no dead letters.
      treatMissingData: "notBreaching",
      alarmActions: [this.topicArn],
      tags,
    });
  }

  /** Lets only this rule and these alarms publish to the topic the construct created. */
  private topicPolicy(topic: SnsTopic, rule: CloudwatchEventRule, alarms: readonly CloudwatchMetricAlarm[]): void {
    const statements = [servicePublishes("FailedJobEvents", "events.amazonaws.com", topic.arn, [rule.arn])];
    if (alarms.length > 0) {
      statements.push(servicePublishes("DeadLetterAlarms", "cloudwatch.amazonaws.com", topic.arn, alarms.map((alarm) => alarm.arn)));
    }
    new SnsTopicPolicy(this, "TopicPolicy", { arn: topic.arn, policy: policyDocument(this, "TopicPolicyDocument", statements) });
  }
}

function deadLetterAlarmName(schedule: IBatchScheduleDeadLetters): string {
  return `${schedule.scheduleName}-dead-letters`;
}

function validateAlarmProps(scope: Construct, props: BatchJobAlarmsProps): void {
  requireBatchName(scope, "name", props.name, 50);
  if (props.topicArn !== undefined) requireArn(scope, "topicArn", props.topicArn, [SNS_TOPIC], "pass the topic's ARN, not its name");
  const names = (props.schedules ?? []).map((s) => s.scheduleName).filter((name) => !isUnresolved(name));
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new PropValidationError(scope, "schedules", duplicate, "each schedule once", `remove the second ${duplicate}`);
  }
}
