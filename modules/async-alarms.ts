import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SNS_TOPIC, requireQueueName } from "./internal/async-validation";
import { policyDocument } from "./internal/policies";
import { PropValidationError, isUnresolved, requireArn, requireIntegerInRange } from "./internal/validation";

/** What AsyncAlarms watches of a queue; AsyncRequestQueue provides it. */
export interface AsyncAlarmQueue {
  /** Name of the queue the workers consume. */
  readonly queueName: string;
  /** Name of its dead-letter queue. */
  readonly deadLetterQueueName: string;
}

/** A Lambda worker whose errors raise an alarm; AsyncLambdaWorker provides it. */
export interface AsyncAlarmLambdaWorker {
  /** Name of the worker function. */
  readonly functionName: string;
}

export interface AsyncAlarmsProps {
  /** Prefix of the alarm and topic names, 1 to 64 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue watched. */
  readonly queue: AsyncAlarmQueue;
  /** Age of the oldest waiting message, in seconds, above which the queue alarms (60 to 1209600). @default 900 */
  readonly maxMessageAgeSeconds?: number;
  /** Lambda workers whose Errors metric alarms above zero. @default - none */
  readonly lambdaWorkers?: readonly AsyncAlarmLambdaWorker[];
  /** SNS topic notified; its policy must let cloudwatch.amazonaws.com publish, and it must not use the AWS managed alias/aws/sns key. @default - a new topic "<name>-async-alerts" with that policy */
  readonly topicArn?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The alarms of an asynchronous inference queue, on one SNS topic: a message in the dead-letter
 * queue (something failed maxReceiveCount times, or was throttled that often), the oldest waiting
 * message older than the latency the users were promised, and errors of Lambda workers.
 */
export class AsyncAlarms extends Construct {
  /** ARN of the topic notified. */
  public readonly topicArn: string;
  /** Name of the dead-letter alarm. */
  public readonly deadLetterAlarmName: string;
  /** Name of the oldest-message alarm. */
  public readonly oldestMessageAlarmName: string;
  /** Names of the worker error alarms, in the order of lambdaWorkers. */
  public readonly workerErrorAlarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: AsyncAlarmsProps) {
    super(scope, id);
    validateAlarmProps(this, props);
    const tags = props.tags ?? {};
    // No KMS key on the new topic: CloudWatch cannot publish to a topic under alias/aws/sns.
    const topic = props.topicArn === undefined ? new SnsTopic(this, "Topic", { name: `${props.name}-async-alerts`, tags }) : undefined;
    this.topicArn = topic?.arn ?? (props.topicArn as string);
    const common = { period: 60, treatMissingData: "notBreaching", alarmActions: [this.topicArn], okActions: [this.topicArn], tags };

    this.deadLetterAlarmName = `${props.name}-dead-letters`;
    const deadLetters = new CloudwatchMetricAlarm(this, "DeadLetterAlarm", {
      ...common,
      alarmName: this.deadLetterAlarmName,
      alarmDescription: `Messages in ${props.queue.deadLetterQueueName}: requests failed (or were received) maxReceiveCount times. Fix the cause, then move them back with aws sqs start-message-move-task --source-arn <dead-letter queue ARN>.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: props.queue.deadLetterQueueName },
      statistic: "Maximum",
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    this.oldestMessageAlarmName = `${props.name}-oldest-message-age`;
    const oldest = new CloudwatchMetricAlarm(this, "OldestMessageAlarm", {
      ...common,
      alarmName: this.oldestMessageAlarmName,
      alarmDescription: `The oldest message in ${props.queue.queueName} has waited longer than ${props.maxMessageAgeSeconds ?? 900} s: the workers do not keep up, or do not run.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.queue.queueName },
      statistic: "Maximum",
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: props.maxMessageAgeSeconds ?? 900,
      comparisonOperator: "GreaterThanThreshold",
    });
    // Keyed by function name (not list position), so removing one worker leaves the others alone.
    const workerKeys = (props.lambdaWorkers ?? []).map((worker, i) => (isUnresolved(worker.functionName) ? String(i) : worker.functionName));
    this.workerErrorAlarmNames = workerKeys.map((key) => `${props.name}-worker-errors-${key}`);
    const workers = (props.lambdaWorkers ?? []).map((worker, i) => {
      const alarmName = this.workerErrorAlarmNames[i];
      return new CloudwatchMetricAlarm(this, `WorkerErrorsAlarm-${workerKeys[i]}`, {
        ...common,
        alarmName,
        alarmDescription: `Invocations of the worker ${worker.functionName} failed as a whole (not single messages reported as batch item failures).`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: worker.functionName },
        statistic: "Sum",
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
      });
    });

    if (topic) {
      new SnsTopicPolicy(this, "TopicPolicy", {
        arn: topic.arn,
        policy: policyDocument(this, "TopicPolicyDocument", [
          {
            sid: "TheseAlarmsOnly",
            effect: "Allow",
            principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
            actions: ["sns:Publish"],
            resources: [topic.arn],
            condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [deadLetters.arn, oldest.arn, ...workers.map((alarm) => alarm.arn)] }],
          },
        ]),
      });
    }
  }
}

function validateAlarmProps(scope: Construct, props: AsyncAlarmsProps): void {
  requireQueueName(scope, "name", props.name, 64);
  requireIntegerInRange(scope, "maxMessageAgeSeconds", props.maxMessageAgeSeconds, 60, 1_209_600, "use 60 seconds to 14 days: the longest a request may wait before a worker takes it");
  if (props.topicArn !== undefined) requireArn(scope, "topicArn", props.topicArn, [SNS_TOPIC], "pass the topic's ARN, not its name");
  const names = (props.lambdaWorkers ?? []).map((w) => w.functionName).filter((n) => !isUnresolved(n));
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new PropValidationError(scope, "lambdaWorkers", duplicate, "each worker once", `remove the second ${duplicate}`);
  }
}
