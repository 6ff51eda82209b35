import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AsyncQueueEncryption, AsyncRequestQueue, AsyncRequestQueueProps } from "../../modules/async-request-queue";
import { resources, single, synth } from "../support/synth";
import { TestGrantee, statements } from "../support/async";

const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function queue(overrides: Partial<AsyncRequestQueueProps> = {}, use: (q: AsyncRequestQueue) => void = () => undefined) {
  let built: AsyncRequestQueue | undefined;
  const result = synth((scope: Construct) => {
    built = new AsyncRequestQueue(scope, "Requests", { name: "infer", worstCaseProcessingSeconds: 120, ...overrides });
    use(built);
  });
  return { ...result, queue: built as AsyncRequestQueue };
}

function queuesByName(json: ReturnType<typeof queue>["json"]): Record<string, Record<string, any>> {
  return Object.fromEntries(Object.values(resources(json, "aws_sqs_queue")).map((q) => [q.name as string, q]));
}

describe("AsyncRequestQueue", () => {
  test("GIVEN defaults WHEN synthesized THEN the queue's visibility timeout is 6 x the worst case, with long polling and SSE-SQS", () => {
    const { text, queue: q } = queue();
    expect(q.visibilityTimeoutSeconds).toBe(720);
    expect(text).toHaveResourceWithProperties(SqsQueue, {
      name: "infer",
      visibility_timeout_seconds: 720,
      message_retention_seconds: 345600,
      receive_wait_time_seconds: 20,
      sqs_managed_sse_enabled: true,
    });
  });

  test("GIVEN defaults WHEN synthesized THEN the queue redrives to its DLQ after 5 receives and the DLQ keeps messages 14 days", () => {
    const { json } = queue();
    const queues = queuesByName(json);
    expect(queues.infer.redrive_policy).toMatch(/^\$\{jsonencode\(\{"deadLetterTargetArn" = aws_sqs_queue\.Requests_DeadLetterQueue_\w+\.arn, "maxReceiveCount" = 5\}\)\}$/);
    expect(queues["infer-dlq"]).toMatchObject({ message_retention_seconds: 1209600, sqs_managed_sse_enabled: true });
  });

  test("GIVEN defaults WHEN synthesized THEN only this queue may use the DLQ (redrive allow policy byQueue)", () => {
    const { json } = queue();
    const allow = single(json, "aws_sqs_queue_redrive_allow_policy");
    expect(allow.queue_url).toMatch(/aws_sqs_queue\.Requests_DeadLetterQueue_\w+\.url/);
    expect(allow.redrive_allow_policy).toMatch(/^\$\{jsonencode\(\{"redrivePermission" = "byQueue", "sourceQueueArns" = \[aws_sqs_queue\.Requests_Queue_\w+\.arn\]\}\)\}$/);
  });

  test("GIVEN defaults WHEN synthesized THEN the queue policy lets SNS send only from the requests topic, and denies plain HTTP", () => {
    const { json } = queue();
    const [allow, deny, ...rest] = statements(json, "Requests_QueuePolicyDocument");
    expect(rest).toEqual([]);
    expect(allow).toMatchObject({
      sid: "RequestsTopicOnly",
      effect: "Allow",
      principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
      actions: ["sqs:SendMessage"],
      resources: [expect.stringMatching(/aws_sqs_queue\.Requests_Queue_\w+\.arn/)],
      condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/aws_sns_topic\.Requests_RequestsTopic_\w+\.arn/)] }],
    });
    expect(deny).toMatchObject({ sid: "DenyInsecureTransport", effect: "Deny", condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] });
  });

  test("GIVEN defaults WHEN synthesized THEN the requests topic delivers raw to the queue after the queue policy exists", () => {
    const { text, json } = queue();
    expect(text).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: "sqs",
      raw_message_delivery: true,
      topic_arn: expect.stringMatching(/aws_sns_topic\.Requests_RequestsTopic_\w+\.arn/),
      endpoint: expect.stringMatching(/aws_sqs_queue\.Requests_Queue_\w+\.arn/),
    });
    expect(single(json, "aws_sns_topic_subscription").depends_on).toEqual([expect.stringMatching(/^aws_sqs_queue_policy\.Requests_QueuePolicy_\w+$/)]);
  });

  test("GIVEN defaults WHEN synthesized THEN requests and completions topics use the AWS managed SNS key", () => {
    const { text } = queue();
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "infer-requests", kms_master_key_id: "alias/aws/sns" });
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "infer-completions", kms_master_key_id: "alias/aws/sns" });
  });

  test("GIVEN a customer key WHEN synthesized THEN topics and both queues use it, and grants include the key", () => {
    const { json, text } = queue({ encryption: AsyncQueueEncryption.CUSTOMER_KEY, kmsKeyArn: KEY }, (q) => {
      q.grantConsume(new TestGrantee(q, "Consumer"));
      q.grantPublishRequests(new TestGrantee(q, "Publisher"));
    });
    for (const q of Object.values(queuesByName(json))) {
      expect(q).toMatchObject({ kms_master_key_id: KEY, kms_data_key_reuse_period_seconds: 300 });
      expect(q.sqs_managed_sse_enabled).toBeUndefined();
    }
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "infer-requests", kms_master_key_id: KEY });
    expect(statements(json, "Consumer_GrantsPolicyDocument")).toContainEqual(expect.objectContaining({ actions: ["kms:Decrypt"], resources: [KEY] }));
    expect(statements(json, "Publisher_GrantsPolicyDocument")).toContainEqual(expect.objectContaining({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [KEY] }));
  });

  test("GIVEN grantees WHEN granted THEN consume is receive/delete/change visibility/attributes on this queue only, publish on one topic each", () => {
    const { json } = queue({}, (q) => {
      q.grantConsume(new TestGrantee(q, "Consumer"));
      q.grantPublishRequests(new TestGrantee(q, "Requester"));
      q.grantPublishCompletions(new TestGrantee(q, "Completer"));
    });
    expect(statements(json, "Consumer_GrantsPolicyDocument")).toEqual([
      {
        effect: "Allow",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [expect.stringMatching(/^\$\{aws_sqs_queue\.Requests_Queue_\w+\.arn\}$/)],
      },
    ]);
    expect(statements(json, "Requester_GrantsPolicyDocument")).toEqual([
      { effect: "Allow", actions: ["sns:Publish"], resources: [expect.stringMatching(/^\$\{aws_sns_topic\.Requests_RequestsTopic_\w+\.arn\}$/)] },
    ]);
    expect(statements(json, "Completer_GrantsPolicyDocument")).toEqual([
      { effect: "Allow", actions: ["sns:Publish"], resources: [expect.stringMatching(/^\$\{aws_sns_topic\.Requests_CompletionsTopic_\w+\.arn\}$/)] },
    ]);
  });

  test("GIVEN a factor and receive count WHEN synthesized THEN the visibility timeout and redrive follow them", () => {
    const { json, queue: q } = queue({ worstCaseProcessingSeconds: 1000, visibilityTimeoutFactor: 2, maxReceiveCount: 3 });
    expect(q.visibilityTimeoutSeconds).toBe(2000);
    expect(queuesByName(json).infer.redrive_policy).toContain('"maxReceiveCount" = 3');
  });

  describe("validation", () => {
    test.each([
      ["the AWS managed alias/aws/sqs key as ARN", { encryption: AsyncQueueEncryption.CUSTOMER_KEY, kmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:alias/aws/sqs" }, /invalid kmsKeyArn.*alias\/aws\/sqs cannot be used by SNS/],
      ["the AWS managed alias/aws/sqs key by alias", { encryption: AsyncQueueEncryption.CUSTOMER_KEY, kmsKeyArn: "alias/aws/sqs" }, /alias\/aws\/sqs cannot be used by SNS/],
      ["alias/aws/sqs even without CUSTOMER_KEY", { kmsKeyArn: "alias/aws/sqs" }, /alias\/aws\/sqs cannot be used by SNS/],
      ["a key id instead of an ARN", { encryption: AsyncQueueEncryption.CUSTOMER_KEY, kmsKeyArn: "1234abcd-12ab" }, /invalid kmsKeyArn.*not an alias or a key id/],
      ["CUSTOMER_KEY without a key", { encryption: AsyncQueueEncryption.CUSTOMER_KEY }, /invalid kmsKeyArn = undefined.*CUSTOMER_KEY/],
      ["a key with SERVICE_MANAGED", { kmsKeyArn: KEY }, /no key with AsyncQueueEncryption.SERVICE_MANAGED/],
      ["a DLQ retention equal to the queue's", { messageRetentionSeconds: 86400, deadLetterRetentionSeconds: 86400 }, /invalid deadLetterRetentionSeconds = 86400.*more than messageRetentionSeconds \(86400\)/],
      ["a DLQ retention below the default queue retention", { deadLetterRetentionSeconds: 3600 }, /invalid deadLetterRetentionSeconds = 3600.*more than messageRetentionSeconds \(345600\)/],
      ["a worst case above 12 hours", { worstCaseProcessingSeconds: 43201 }, /invalid worstCaseProcessingSeconds = 43201.*1 to 43200/],
      ["a zero worst case", { worstCaseProcessingSeconds: 0 }, /invalid worstCaseProcessingSeconds = 0/],
      ["a derived visibility above 43200", { worstCaseProcessingSeconds: 10000 }, /invalid worstCaseProcessingSeconds = 10000.*10000 x visibilityTimeoutFactor 6 = 60000 s.*lower visibilityTimeoutFactor to 4/],
      ["a factor of 13", { visibilityTimeoutFactor: 13 }, /invalid visibilityTimeoutFactor = 13/],
      ["maxReceiveCount 0", { maxReceiveCount: 0 }, /invalid maxReceiveCount = 0.*1 to 1000/],
      ["retention above 14 days", { messageRetentionSeconds: 1209601 }, /invalid messageRetentionSeconds = 1209601/],
      ["a wait of 21 s", { receiveWaitTimeSeconds: 21 }, /invalid receiveWaitTimeSeconds = 21/],
      ["a name with a dot", { name: "in.fer" }, /invalid name = "in.fer"/],
    ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
      expect(() => queue(overrides as Partial<AsyncRequestQueueProps>)).toThrow(message);
    });

    test("GIVEN a bad prop WHEN constructed THEN the error names the construct and its path", () => {
      expect(() => queue({ maxReceiveCount: 0 })).toThrow(/^AsyncRequestQueue \([^)]*Requests\): invalid maxReceiveCount/);
    });
  });
});
