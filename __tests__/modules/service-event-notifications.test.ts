import { Construct } from "constructs";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { ServiceEventNotifications, ServiceEventNotificationsProps } from "../../modules/service-event-notifications";
import { count, single, synth } from "../support/synth";
import { statements, warningsOf } from "../support/async";

const SERVICE_ARN = "arn:aws:ecs:ap-northeast-1:123456789012:service/infer/infer";
const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function notifications(overrides: Partial<ServiceEventNotificationsProps> = {}) {
  let built: ServiceEventNotifications | undefined;
  const result = synth((scope: Construct) => {
    built = new ServiceEventNotifications(scope, "Events", { name: "infer", serviceArn: SERVICE_ARN, ...overrides });
  });
  return { ...result, notifications: built as ServiceEventNotifications };
}

describe("ServiceEventNotifications", () => {
  describe("GIVEN defaults", () => {
    const { text, json } = notifications();

    test("WHEN synthesized THEN the rule matches this service's failed deployments and failing task starts", () => {
      const rule = single(json, "aws_cloudwatch_event_rule");
      expect(JSON.parse(rule.event_pattern as string)).toEqual({
        source: ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change", "ECS Service Action"],
        resources: [SERVICE_ARN],
        detail: { eventName: ["SERVICE_DEPLOYMENT_FAILED", "SERVICE_TASK_START_IMPAIRED", "SERVICE_TASK_PLACEMENT_FAILURE", "SERVICE_TASK_CONFIGURATION_FAILURE"] },
      });
      expect(text).toHaveResourceWithProperties(CloudwatchEventTarget, { arn: expect.stringMatching(/aws_sns_topic\.Events_Topic/) });
    });

    test("WHEN synthesized THEN the topic is encrypted with a new rotating key that EventBridge may use for this rule only", () => {
      expect(text).toHaveResourceWithProperties(SnsTopic, { name: "infer-service-events", kms_master_key_id: expect.stringMatching(/aws_kms_key\.Events_Key/) });
      expect(text).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
      const key = statements(json, "Events_KeyPolicyDocument").find((s) => s.sid === "EventBridgeEncryptsForTopic");
      expect(key).toMatchObject({ principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }], condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/Events_Rule/)] }] });
    });

    test("WHEN synthesized THEN the topic policy lets events.amazonaws.com publish only from this rule", () => {
      expect(statements(json, "Events_TopicPolicyDocument")).toEqual([
        expect.objectContaining({
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["sns:Publish"],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/Events_Rule/)] }],
        }),
      ]);
    });
  });

  test("GIVEN an existing topic and progress events WHEN synthesized THEN no topic, key or policy is created, the progress events are added, and it warns about the topic's policy", () => {
    const { json, notifications: built } = notifications({ topicArn: "arn:aws:sns:ap-northeast-1:123456789012:ops", includeDeploymentProgress: true });
    expect(count(json, "aws_sns_topic") + count(json, "aws_kms_key") + count(json, "aws_sns_topic_policy")).toBe(0);
    expect(JSON.parse(single(json, "aws_cloudwatch_event_rule").event_pattern as string).detail.eventName).toEqual(expect.arrayContaining(["SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"]));
    expect(single(json, "aws_cloudwatch_event_target").arn).toBe("arn:aws:sns:ap-northeast-1:123456789012:ops");
    expect(warningsOf(built)).toEqual([expect.stringContaining("events.amazonaws.com")]);
  });

  test("GIVEN a customer key WHEN synthesized THEN the topic uses it and no key is created", () => {
    const { json } = notifications({ kmsKeyArn: KEY });
    expect(single(json, "aws_sns_topic").kms_master_key_id).toBe(KEY);
    expect(count(json, "aws_kms_key")).toBe(0);
  });

  test.each<[string, Partial<ServiceEventNotificationsProps>, RegExp]>([
    ["a name with spaces", { name: "in fer" }, /invalid name/],
    ["a cluster ARN as serviceArn", { serviceArn: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/infer" }, /invalid serviceArn/],
    ["a topic name instead of an ARN", { topicArn: "ops" }, /invalid topicArn/],
    ["a key together with a topic", { topicArn: "arn:aws:sns:ap-northeast-1:123456789012:ops", kmsKeyArn: KEY }, /invalid kmsKeyArn.*no key with topicArn/],
    ["the AWS managed SNS key", { kmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:alias/aws/sns" }, /invalid kmsKeyArn.*AWS managed key/],
    ["a key id instead of an ARN", { kmsKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab" }, /invalid kmsKeyArn/],
  ])("GIVEN %s WHEN synthesized THEN it is refused", (_name, overrides, error) => {
    expect(() => notifications(overrides)).toThrow(error);
  });
});
