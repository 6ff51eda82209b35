import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { SNS_TOPIC } from "./internal/async-validation";
import { policyDocument, servicePublishes } from "./internal/policies";
import { requireArn, requireIntegerInRange, requireResourceName } from "./internal/validation";

/** What the alarms watch of a warmup path; WarmupHook provides it. */
export interface AlarmedWarmup {
  /** Name of the Auto Scaling group (the metrics' dimension). */
  readonly autoScalingGroupName: string;
  /** Name of the warmup function. */
  readonly functionName: string;
  /** Name of its dead-letter queue. */
  readonly deadLetterQueueName: string;
  /** Namespace of its embedded metrics. */
  readonly metricsNamespace: string;
}

/** What the alarms watch of a reconciler; WarmupReconciler provides it. */
export interface AlarmedReconciler {
  /** Name of the reconciler function. */
  readonly functionName: string;
  /** Name of the queue of runs the schedule could not start. */
  readonly scheduleDeadLetterQueueName: string;
  /** Namespace of its metrics. */
  readonly metricsNamespace: string;
}

export interface FleetAlarmsProps {
  /** Prefix of the alarm, topic and key names, 1 to 64 letters, digits and hyphens. */
  readonly name: string;
  /** The warmup path watched. */
  readonly warmup: AlarmedWarmup;
  /** The reconciler watched: its errors and the instances it finds stuck. @default - no reconciler alarms */
  readonly reconciler?: AlarmedReconciler;
  /** p99 of warmup duration (event to completed action) above which the fleet alarms, in seconds, 10 to 7200. @default 600 */
  readonly warmupDurationP99Seconds?: number;
  /** SNS topic notified; its policy must let cloudwatch.amazonaws.com publish, and a KMS key on it must let CloudWatch use it. @default - a new topic "<name>-fleet-alerts" encrypted with a new customer managed key that CloudWatch may use */
  readonly topicArn?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The on-call view of a warm fleet, on one SNS topic: lifecycle events that ended in the
 * dead-letter queue, instances ABANDONed by warmup, errors and throttles of the warmup function
 * (and of the reconciler), warmup p99 duration above a bound, and instances the reconciler found
 * stuck in a wait state two runs in a row (its re-drive did not help).
 */
export class FleetAlarms extends Construct {
  /** ARN of the topic notified. */
  public readonly topicArn: string;
  /** Alarm names by what they watch (deadLetters, abandoned, warmupErrors, ...). */
  public readonly alarmNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: FleetAlarmsProps) {
    super(scope, id);
    validateFleetAlarmsProps(this, props);
    const tags = props.tags ?? {};
    const topic = props.topicArn === undefined ? this.encryptedTopic(props.name, tags) : undefined;
    this.topicArn = topic?.arn ?? (props.topicArn as string);
    const { warmup, reconciler } = props;
    const group = { AutoScalingGroupName: warmup.autoScalingGroupName };
    const specs: Record<string, AlarmSpec> = {
      deadLetters: {
        description: `Lifecycle events of ${warmup.autoScalingGroupName} reached ${warmup.deadLetterQueueName}: EventBridge could not invoke the warmup function, or its invocation failed after the retries. The reconciler re-drives them within a run; repeated alarms mean deliveries keep failing.`,
        metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: warmup.deadLetterQueueName }, statistic: "Maximum" },
      },
      abandoned: {
        description: `Warmup ABANDONed instances of ${warmup.autoScalingGroupName} (server never healthy, or warmup failing): the group replaced them. The warmup function's log says why.`,
        metric: { namespace: warmup.metricsNamespace, metricName: "Outcome_abandoned", dimensions: group, statistic: "Sum" },
      },
      warmupErrors: lambdaAlarm(warmup.functionName, "Errors", "invocations of the warmup function failed (Lambda retries them, then the dead-letter queue takes them)"),
      warmupThrottles: lambdaAlarm(warmup.functionName, "Throttles", "the warmup function was throttled: new instances wait until it runs"),
      warmupDurationP99: {
        description: `p99 of warmup duration of ${warmup.autoScalingGroupName} above ${props.warmupDurationP99Seconds ?? 600} s: new capacity arrives late (slow set-up, slow model loads, or warmup retrying a server that is not ready).`,
        metric: { namespace: warmup.metricsNamespace, metricName: "DurationMs", dimensions: group, extendedStatistic: "p99" },
        threshold: (props.warmupDurationP99Seconds ?? 600) * 1000,
        period: 900,
      },
      ...(reconciler ? this.reconcilerSpecs(reconciler, warmup) : {}),
    };
    const alarms = Object.entries(specs).map(([key, spec]) => [key, this.alarm(`${props.name}-${kebab(key)}`, pascal(key), spec, tags)] as const);
    this.alarmNames = Object.fromEntries(alarms.map(([key, alarm]) => [key, alarm.alarmName]));
    if (topic) this.topicPolicy(topic, alarms.map(([, alarm]) => alarm.arn));
  }

  private reconcilerSpecs(reconciler: AlarmedReconciler, warmup: AlarmedWarmup): Record<string, AlarmSpec> {
    return {
      reconcilerErrors: lambdaAlarm(reconciler.functionName, "Errors", "runs of the warmup reconciler failed: lost lifecycle events are not being recovered"),
      reconcilerThrottles: lambdaAlarm(reconciler.functionName, "Throttles", "the warmup reconciler was throttled"),
      scheduleDeadLetters: {
        description: `EventBridge Scheduler could not start the warmup reconciler (${reconciler.scheduleDeadLetterQueueName} holds the errors): check its role and the function.`,
        metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: reconciler.scheduleDeadLetterQueueName }, statistic: "Maximum" },
      },
      stuckInstances: {
        description: `Instances of ${warmup.autoScalingGroupName} stayed in Pending:Wait or Warmed:Pending:Wait with no warmup running for two reconciler runs in a row: re-driving warmup did not help (is the warmup function failing before it takes the lease?).`,
        metric: { namespace: reconciler.metricsNamespace, metricName: "StuckInstances", dimensions: { AutoScalingGroupName: warmup.autoScalingGroupName }, statistic: "Maximum" },
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      },
    };
  }

  private alarm(alarmName: string, id: string, spec: AlarmSpec, tags: Readonly<Record<string, string>>): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, `${id}Alarm`, {
      alarmName,
      alarmDescription: spec.description,
      ...spec.metric,
      period: spec.period ?? 300,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm,
      threshold: spec.threshold ?? 0,
      comparisonOperator: "GreaterThanThreshold",
      // Idle queues and functions send no data, and neither do fleets that do not scale.
      treatMissingData: "notBreaching",
      alarmActions: [this.topicArn],
      okActions: [this.topicArn],
      tags,
    });
  }

  /**
   * A topic under a customer managed key: CloudWatch cannot publish to one under the AWS managed
   * alias/aws/sns key, so the key's policy lets CloudWatch encrypt for this account's alarms.
   */
  private encryptedTopic(name: string, tags: Readonly<Record<string, string>>): SnsTopic {
    const partition = new DataAwsPartition(this, "Partition").partition;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const key = new KmsKey(this, "TopicKey", {
      description: `Encrypts the ${name} fleet alert topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(this, "TopicKeyPolicy", [
        { sid: "AccountAdministers", effect: "Allow", principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] }], actions: ["kms:*"], resources: ["*"] },
        {
          sid: "CloudWatchAlarmsEncrypt",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
          resources: ["*"],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account] }],
        },
      ]),
      tags,
    });
    return new SnsTopic(this, "Topic", { name: `${name}-fleet-alerts`, kmsMasterKeyId: key.arn, tags });
  }

  private topicPolicy(topic: SnsTopic, alarmArns: string[]): void {
    new SnsTopicPolicy(this, "TopicPolicy", {
      arn: topic.arn,
      policy: policyDocument(this, "TopicPolicyDocument", [servicePublishes("TheseAlarmsOnly", "cloudwatch.amazonaws.com", topic.arn, alarmArns)]),
    });
  }
}

interface AlarmSpec {
  readonly description: string;
  readonly metric: Pick<CloudwatchMetricAlarmConfig, "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic">;
  readonly threshold?: number;
  readonly period?: number;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

function lambdaAlarm(functionName: string, metricName: "Errors" | "Throttles", what: string): AlarmSpec {
  return { description: `${functionName}: ${what}.`, metric: { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: functionName }, statistic: "Sum" } };
}

function kebab(key: string): string {
  return key.replace(/[A-Z0-9]+/g, (m) => `-${m.toLowerCase()}`);
}

function pascal(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

function validateFleetAlarmsProps(scope: Construct, props: FleetAlarmsProps): void {
  // "-schedule-dead-letters", the longest suffix, keeps alarm names within 255 and the topic's within 256.
  requireResourceName(scope, "name", props.name, 1, 64, "use a short name such as the stack's; it prefixes every alarm");
  requireIntegerInRange(scope, "warmupDurationP99Seconds", props.warmupDurationP99Seconds, 10, 7200, "use 10 to 7200 seconds: at most the longest a launch hook can wait");
  if (props.topicArn !== undefined) requireArn(scope, "topicArn", props.topicArn, [SNS_TOPIC], "pass the topic's ARN, not its name");
}
