import { Construct } from "constructs";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SNS_TOPIC, requireQueueName } from "./internal/async-validation";
import { policyDocument, servicePublishes } from "./internal/policies";
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

/** A container worker whose error log lines raise an alarm; AsyncQueueWorkerService provides it. */
export interface AsyncAlarmContainerWorker {
  /** Name of the worker service, a literal: it names the metric filter, the metric and the alarm. */
  readonly serviceName: string;
  /** Log group the workers write their JSON log lines to. */
  readonly logGroupName: string;
}

/**
 * Events of the example workers' JSON log lines ({"event": ..., "requestId": ...}, one per line,
 * examples/async-worker/worker_core.py log()) that are errors of the worker: the container workers'
 * error metric counts them.
 */
export const ASYNC_WORKER_ERROR_EVENTS: readonly string[] = [
  // DynamoDB or SNS failed while a message was processed (the message is retried).
  "processing-error",
  // The model failed on a payload (retried, or failed for good on the last receive).
  "compute-failed",
  // The queue could not be polled, a processed message not deleted, a heartbeat not sent, a lease not given back.
  "receive-error",
  "delete-error",
  "heartbeat-error",
  "lease-release-error",
];

/** Default namespace of the container workers' error metrics. */
export const ASYNC_WORKER_METRIC_NAMESPACE = "Warmfleet/AsyncWorkers";

export interface AsyncAlarmsProps {
  /** Prefix of the alarm and topic names, 1 to 64 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue watched. */
  readonly queue: AsyncAlarmQueue;
  /** Age of the oldest waiting message, in seconds, above which the queue alarms (60 to 1209600). @default 900 */
  readonly maxMessageAgeSeconds?: number;
  /** Lambda workers whose Errors metric alarms above zero. @default - none */
  readonly lambdaWorkers?: readonly AsyncAlarmLambdaWorker[];
  /** Container workers (AsyncQueueWorkerService) whose error log lines (ASYNC_WORKER_ERROR_EVENTS) are counted by a metric filter on their log group and alarm above zero. @default - none */
  readonly containerWorkers?: readonly AsyncAlarmContainerWorker[];
  /** CloudWatch namespace of the container workers' error metrics ("<serviceName>-worker-errors"), 1 to 255 characters, not starting with "AWS/". @default "Warmfleet/AsyncWorkers" */
  readonly workerMetricNamespace?: string;
  /** SNS topic notified; its policy must let cloudwatch.amazonaws.com publish, and it must not use the AWS managed alias/aws/sns key. @default - a new topic "<name>-async-alerts" with that policy */
  readonly topicArn?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The alarms of an asynchronous inference queue, on one SNS topic: a message in the dead-letter
 * queue (something failed maxReceiveCount times, or was throttled that often), the oldest waiting
 * message older than the latency the users were promised, errors of Lambda workers, and error log
 * lines of container workers (a metric filter on each one's log group).
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
  /** Names of the container worker error alarms, in the order of containerWorkers. */
  public readonly containerWorkerErrorAlarmNames: readonly string[];
  /** Namespace of the container workers' error metrics. */
  public readonly workerMetricNamespace: string;

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

    // One metric filter, metric and alarm per container service, keyed by its (literal) name.
    this.workerMetricNamespace = props.workerMetricNamespace ?? ASYNC_WORKER_METRIC_NAMESPACE;
    const pattern = `{ ${ASYNC_WORKER_ERROR_EVENTS.map((event) => `($.event = "${event}")`).join(" || ")} }`;
    this.containerWorkerErrorAlarmNames = (props.containerWorkers ?? []).map((worker) => `${props.name}-worker-errors-${worker.serviceName}`);
    const containerAlarms = (props.containerWorkers ?? []).map((worker, i) => {
      const metricName = `${worker.serviceName}-worker-errors`;
      new CloudwatchLogMetricFilter(this, `ContainerWorkerErrorsFilter-${worker.serviceName}`, {
        name: `${props.name}-worker-errors-${worker.serviceName}`,
        logGroupName: worker.logGroupName,
        pattern,
        metricTransformation: { name: metricName, namespace: this.workerMetricNamespace, value: "1", unit: "Count" },
      });
      return new CloudwatchMetricAlarm(this, `ContainerWorkerErrorsAlarm-${worker.serviceName}`, {
        ...common,
        alarmName: this.containerWorkerErrorAlarmNames[i],
        alarmDescription: `The workers of ${worker.serviceName} logged errors (${ASYNC_WORKER_ERROR_EVENTS.join(", ")}): read their log group for the lines with these events.`,
        namespace: this.workerMetricNamespace,
        metricName,
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
          servicePublishes("TheseAlarmsOnly", "cloudwatch.amazonaws.com", topic.arn, [deadLetters.arn, oldest.arn, ...[...workers, ...containerAlarms].map((alarm) => alarm.arn)]),
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
  const services = (props.containerWorkers ?? []).map((w) => w.serviceName);
  for (const service of services) {
    if (isUnresolved(service) || !/^[A-Za-z0-9_-]{1,255}$/.test(service)) {
      throw new PropValidationError(
        scope,
        "containerWorkers",
        service,
        "services with literal names of 1 to 255 letters, digits, hyphens and underscores",
        "pass the AsyncQueueWorkerService itself, or its literal serviceName: the name keys its metric filter, metric and alarm",
      );
    }
  }
  const twice = services.find((n, i) => services.indexOf(n) !== i) ?? services.find((n) => names.includes(n));
  if (twice !== undefined) {
    throw new PropValidationError(scope, "containerWorkers", twice, "each worker once, and no service named like a Lambda worker (their alarms would share a name)", `remove the second ${twice}`);
  }
  const namespace = props.workerMetricNamespace;
  if (namespace !== undefined && !isUnresolved(namespace) && (namespace.length < 1 || namespace.length > 255 || namespace.startsWith("AWS/") || namespace.includes(":"))) {
    throw new PropValidationError(scope, "workerMetricNamespace", namespace, '1 to 255 characters, no ":", not starting with "AWS/" (reserved for AWS services)', `use e.g. "${ASYNC_WORKER_METRIC_NAMESPACE}"`);
  }
}
