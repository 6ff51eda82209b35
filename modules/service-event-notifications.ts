import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SNS_TOPIC } from "./internal/async-validation";
import { policyDocument, servicePublishes } from "./internal/policies";
import { KMS_KEY, PropValidationError, isUnresolved, requireArn, requireResourceName } from "./internal/validation";

/**
 * The ECS events that need a person: a deployment the circuit breaker stopped (and rolled back),
 * tasks that keep failing to start, tasks ECS cannot place or configure.
 */
export const SERVICE_PROBLEM_EVENTS: readonly string[] = [
  "SERVICE_DEPLOYMENT_FAILED",
  "SERVICE_TASK_START_IMPAIRED",
  "SERVICE_TASK_PLACEMENT_FAILURE",
  "SERVICE_TASK_CONFIGURATION_FAILURE",
];

/** Events that only report progress, added with `includeDeploymentProgress`. */
export const SERVICE_PROGRESS_EVENTS: readonly string[] = ["SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"];

export interface ServiceEventNotificationsProps {
  /** Name of the rule and of the created topic, 1 to 48 letters, digits and hyphens. */
  readonly name: string;
  /** ARN of the ECS service whose events are sent (`InferenceService.serviceArn`). */
  readonly serviceArn: string;
  /** Existing topic to publish to; its policy must let events.amazonaws.com publish. @default - a new topic, encrypted, with that policy */
  readonly topicArn?: string;
  /** Customer managed key of the created topic; its policy must let events.amazonaws.com use it. @default - a new key (rotation on) whose policy allows this rule */
  readonly kmsKeyArn?: string;
  /** Also send deployment started/completed events. @default false */
  readonly includeDeploymentProgress?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * ECS deployment and service-action events of one service (circuit breaker tripped and rolled
 * back, tasks failing to start or to be placed) through an EventBridge rule to an SNS topic. A
 * created topic is encrypted with a customer managed key: EventBridge cannot publish to a topic
 * encrypted with the AWS managed alias/aws/sns key, whose policy cannot admit it.
 */
export class ServiceEventNotifications extends Construct {
  /** ARN of the topic the events are published to. */
  public readonly topicArn: string;
  /** ARN of the EventBridge rule. */
  public readonly ruleArn: string;
  /** Name of the EventBridge rule. */
  public readonly ruleName: string;
  /** ARN of the KMS key of the created topic (undefined with topicArn). */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: ServiceEventNotificationsProps) {
    super(scope, id);
    validateNotificationProps(this, props);
    const tags = props.tags ?? {};
    const events = [...SERVICE_PROBLEM_EVENTS, ...(props.includeDeploymentProgress ? SERVICE_PROGRESS_EVENTS : [])];
    const rule = new CloudwatchEventRule(this, "Rule", {
      name: `${props.name}-service-events`,
      description: `ECS deployment and service-action events of ${props.name} that need attention`,
      eventPattern: JSON.stringify({
        source: ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change", "ECS Service Action"],
        resources: [props.serviceArn],
        detail: { eventName: events },
      }),
      tags,
    });
    this.ruleArn = rule.arn;
    this.ruleName = rule.name;

    if (props.topicArn !== undefined) {
      this.topicArn = props.topicArn;
      Annotations.of(this).addWarning(
        `ServiceEventNotifications ${props.name}: the given topic's policy (and its KMS key's policy, if encrypted) must allow events.amazonaws.com to publish, or the events are dropped (FailedInvocations on the rule).`,
      );
    } else {
      const keyArn = props.kmsKeyArn ?? this.createKey(props.name, rule.arn, tags);
      this.kmsKeyArn = keyArn;
      const topic = new SnsTopic(this, "Topic", { name: `${props.name}-service-events`, kmsMasterKeyId: keyArn, tags });
      this.topicArn = topic.arn;
      new SnsTopicPolicy(this, "TopicPolicy", {
        arn: topic.arn,
        policy: policyDocument(this, "TopicPolicyDocument", [servicePublishes("EventBridgeRulePublishes", "events.amazonaws.com", topic.arn, [rule.arn])]),
      });
    }
    new CloudwatchEventTarget(this, "Target", { rule: rule.name, arn: this.topicArn, targetId: "sns" });
  }

  /** A key the account administers and this rule (through EventBridge) may encrypt with. */
  private createKey(name: string, ruleArn: string, tags: Readonly<Record<string, string>>): string {
    const partition = new DataAwsPartition(this, "Partition").partition;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const key = new KmsKey(this, "Key", {
      description: `Service events topic of ${name}: SNS encryption EventBridge may use`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(this, "KeyPolicyDocument", [
        // Without the account statement no IAM policy could ever manage the key again.
        { sid: "AccountAdministers", effect: "Allow", principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] }], actions: ["kms:*"], resources: ["*"] },
        {
          sid: "EventBridgeEncryptsForTopic",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
          resources: ["*"],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [ruleArn] }],
        },
      ]),
      tags,
    });
    return key.arn;
  }
}

function validateNotificationProps(scope: Construct, props: ServiceEventNotificationsProps): void {
  requireResourceName(scope, "name", props.name, 1, 48, "use a short name; it names the rule and the topic");
  if (!isUnresolved(props.serviceArn) && !/^arn:aws(-[a-z]+)*:ecs:[a-z0-9-]+:\d{12}:service\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(props.serviceArn)) {
    throw new PropValidationError(scope, "serviceArn", props.serviceArn, "an ECS service ARN arn:aws:ecs:<region>:<account>:service/<cluster>/<service>", "pass InferenceService.serviceArn");
  }
  if (props.topicArn !== undefined) {
    requireArn(scope, "topicArn", props.topicArn, [SNS_TOPIC], "pass the topic ARN, or leave it out for a new topic");
    if (props.kmsKeyArn !== undefined) {
      throw new PropValidationError(scope, "kmsKeyArn", props.kmsKeyArn, "no key with topicArn (the given topic has its own encryption)", "leave kmsKeyArn out, or leave topicArn out to create the topic");
    }
  }
  if (props.kmsKeyArn !== undefined) {
    if (/(^|:)alias\/aws\//.test(props.kmsKeyArn)) {
      throw new PropValidationError(scope, "kmsKeyArn", props.kmsKeyArn, "a customer managed key whose policy lets events.amazonaws.com use it", "EventBridge cannot publish to a topic under an AWS managed key: pass a customer managed key, or leave kmsKeyArn out and one is created");
    }
    requireArn(scope, "kmsKeyArn", props.kmsKeyArn, [KMS_KEY], "pass the key ARN (arn:aws:kms:<region>:<account>:key/<id>)");
  }
}
