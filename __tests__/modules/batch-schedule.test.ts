import { Construct } from "constructs";
import { BatchClient, SubmitJobCommand, SubmitJobCommandInput } from "@aws-sdk/client-batch";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { BatchPlatform } from "../../modules/batch-compute-environment";
import { IBatchJobDefinition } from "../../modules/batch-job-definition";
import { IBatchJobQueue } from "../../modules/batch-job-queue";
import { BatchSchedule, BatchScheduleProps } from "../../modules/batch-schedule";
import { SynthJson, single, synth } from "../support/synth";

const QUEUE_ARN = "arn:aws:batch:ap-northeast-1:123456789012:job-queue/nightly";
const DEFINITION_ARN_PREFIX = "arn:aws:batch:ap-northeast-1:123456789012:job-definition/nightly";
const jobQueue: IBatchJobQueue = { jobQueueArn: QUEUE_ARN, jobQueueName: "nightly", platform: BatchPlatform.FARGATE, fairShareScheduling: false };
const jobDefinition: IBatchJobDefinition = { jobDefinitionArnPrefix: DEFINITION_ARN_PREFIX, jobDefinitionName: "nightly", platform: BatchPlatform.FARGATE };
const base: BatchScheduleProps = { name: "nightly", jobQueue, jobDefinition, expression: "cron(0 2 * * ? *)" };

function schedule(overrides: Partial<BatchScheduleProps> = {}) {
  let built: BatchSchedule | undefined;
  const result = synth((scope: Construct) => {
    built = new BatchSchedule(scope, "Schedule", { ...base, ...overrides });
  });
  return { ...result, schedule: built as BatchSchedule };
}

function statements(json: SynthJson, id: string): Array<Record<string, unknown>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id)) ?? [];
  return (document?.statement ?? []) as Array<Record<string, unknown>>;
}

/** SubmitJob's members in the universal target's PascalCase: a misspelled or mis-cased key does not compile. */
type PascalCaseMembers<T> = { [K in keyof T as Capitalize<string & K>]: T[K] };

// Map-valued members hold the caller's own keys (parameter names, tag keys), which keep their case.
const MAP_MEMBERS = new Set(["parameters", "tags"]);

/** The universal target's PascalCase input as the SDK names the members: the first letter lowered, recursively. */
function toSdkInput(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => {
      const member = key.charAt(0).toLowerCase() + key.slice(1);
      const nested = !MAP_MEMBERS.has(member) && typeof value === "object" && value !== null && !Array.isArray(value);
      return [member, nested ? toSdkInput(value as Record<string, unknown>) : value];
    }),
  );
}

class NotSent extends Error {}

/**
 * The JSON body the SDK's own SubmitJob serializer writes for `input`, captured in the build
 * step and never sent. The serializer writes only SubmitJobRequest members, so a key it does not
 * know is missing from the body.
 */
async function serializedBody(input: SubmitJobCommandInput): Promise<Record<string, unknown>> {
  const client = new BatchClient({ region: "ap-northeast-1", credentials: { accessKeyId: "AKIDNOTSENT", secretAccessKey: "not-sent" } });
  let body: unknown;
  client.middlewareStack.add(
    () => async (args) => {
      body = (args.request as { body: Uint8Array | string }).body;
      throw new NotSent();
    },
    { step: "build", name: "captureSubmitJobBody" },
  );
  await expect(client.send(new SubmitJobCommand(input))).rejects.toBeInstanceOf(NotSent);
  return JSON.parse(typeof body === "string" ? body : new TextDecoder().decode(body as Uint8Array));
}

/** Compiles only for a real SubmitJobCommandInput; returns the request body the SDK would send. */
const submitJob = (input: SubmitJobCommandInput) => serializedBody(input);

describe("BatchSchedule", () => {
  test("GIVEN a nightly cron WHEN synthesized THEN a schedule calls Batch SubmitJob through the universal target, at the minute, in UTC", () => {
    expect(schedule().text).toHaveResourceWithProperties(SchedulerSchedule, {
      name: "nightly",
      schedule_expression: "cron(0 2 * * ? *)",
      schedule_expression_timezone: "UTC",
      state: "ENABLED",
      flexible_time_window: { mode: "OFF" },
      target: expect.objectContaining({
        arn: expect.stringMatching(/^arn:\$\{data\.aws_partition\.Schedule_Partition_\w+\.partition\}:scheduler:::aws-sdk:batch:submitJob$/),
        role_arn: expect.stringMatching(/aws_iam_role\.Schedule_Role_\w+\.arn/),
        retry_policy: { maximum_retry_attempts: 3, maximum_event_age_in_seconds: 3600 },
        dead_letter_config: { arn: expect.stringMatching(/aws_sqs_queue\.Schedule_DeadLetterQueue_\w+\.arn/) },
      }),
    });
  });

  test("GIVEN a time zone, a flexible window, retries and paused WHEN synthesized THEN the schedule follows them", () => {
    expect(
      schedule({ timeZone: "Asia/Tokyo", flexibleWindowMinutes: 15, retryAttempts: 10, maxEventAgeSeconds: 7200, enabled: false }).text,
    ).toHaveResourceWithProperties(SchedulerSchedule, {
      schedule_expression_timezone: "Asia/Tokyo",
      flexible_time_window: { mode: "FLEXIBLE", maximum_window_in_minutes: 15 },
      state: "DISABLED",
      target: expect.objectContaining({ retry_policy: { maximum_retry_attempts: 10, maximum_event_age_in_seconds: 7200 } }),
    });
  });

  test("GIVEN a schedule WHEN synthesized THEN its input is plain JSON naming the job, queue and definition, and parameters with context attributes unescaped", () => {
    const { json, schedule: s } = schedule({ parameters: { run_date: "<aws.scheduler.scheduled-time>" } });
    const input = (single(json, "aws_scheduler_schedule").target as { input: string }).input;
    expect(input).toBe('{"JobName":"nightly","JobQueue":"nightly","JobDefinition":"nightly","Parameters":{"run_date":"<aws.scheduler.scheduled-time>"}}');
    expect(JSON.parse(input)).toEqual(s.submitJobInput);
  });

  describe("the input document is exactly what SubmitJob accepts", () => {
    const props: Partial<BatchScheduleProps> = { jobName: "nightly-recommendations", parameters: { run_date: "<aws.scheduler.scheduled-time>", Model_Version: "v7" } };
    const fairShareQueue: IBatchJobQueue = { ...jobQueue, fairShareScheduling: true };

    test("GIVEN the input WHEN compared with SubmitJob's members in PascalCase THEN it is exactly that request", () => {
      const expected: PascalCaseMembers<SubmitJobCommandInput> = {
        JobName: "nightly-recommendations",
        JobQueue: "nightly",
        JobDefinition: "nightly",
        Parameters: { run_date: "<aws.scheduler.scheduled-time>", Model_Version: "v7" },
      };
      expect(schedule(props).schedule.submitJobInput).toEqual(expected);
    });

    test.each<[string, Partial<BatchScheduleProps>]>([
      ["a FIFO queue with parameters", props],
      ["a fair-share queue", { ...props, jobQueue: fairShareQueue, shareIdentifier: "nightly" }],
      ["no parameters", {}],
    ])("GIVEN %s WHEN the SDK serializes the input in camelCase THEN every member survives, unchanged", async (_, overrides) => {
      const sdkInput = toSdkInput(schedule(overrides).schedule.submitJobInput);
      const body = await submitJob(sdkInput as unknown as SubmitJobCommandInput);
      expect(body).toEqual(sdkInput);
      expect(Object.keys(body)).toEqual(expect.arrayContaining(["jobName", "jobQueue", "jobDefinition"]));
    });

    test("GIVEN a misspelled or mis-cased member WHEN serialized THEN the SDK drops it, so the check above catches it", async () => {
      const body = await serializedBody({ jobName: "n", jobQueue: "q", jobDefinition: "d", ...{ jobQueu: "typo", JobName: "pascal", shareidentifier: "lower" } } as SubmitJobCommandInput);
      expect(body).toEqual({ jobName: "n", jobQueue: "q", jobDefinition: "d" });
    });
  });

  test("GIVEN a schedule WHEN synthesized THEN its role trusts Scheduler from this account only and may submit only this definition to this queue", () => {
    const { json } = schedule();
    expect(statements(json, "TrustPolicy")).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [expect.stringMatching(/data\.aws_caller_identity\.Schedule_Account_\w+\.account_id/)] }],
      },
    ]);
    expect(statements(json, "PolicyDocument_")).toEqual([
      { sid: "SubmitThisJobToThisQueue", effect: "Allow", actions: ["batch:SubmitJob"], resources: [QUEUE_ARN, `${DEFINITION_ARN_PREFIX}:*`] },
      { sid: "DeadLetters", effect: "Allow", actions: ["sqs:SendMessage"], resources: [expect.stringMatching(/aws_sqs_queue\.Schedule_DeadLetterQueue_\w+\.arn/)] },
    ]);
    expect(single(json, "aws_scheduler_schedule").depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.Schedule_Policy_/)]);
  });

  test("GIVEN a schedule WHEN synthesized THEN its dead-letter queue keeps messages 14 days, encrypted", () => {
    const { text, schedule: s } = schedule({ tags: { Team: "ml" } });
    expect(text).toHaveResourceWithProperties(SqsQueue, { name: "nightly-dlq", message_retention_seconds: 1209600, sqs_managed_sse_enabled: true, tags: { Team: "ml" } });
    expect(s.scheduleName).toBe("nightly");
    expect(s.deadLetterQueueName).toBeDefined();
  });

  describe("validation", () => {
    test.each<[string, Partial<BatchScheduleProps>, RegExp]>([
      ["a cron with five fields", { expression: "cron(0 2 * * ?)" }, /invalid expression = "cron\(0 2 \* \* \?\)"\. .*needs 6 fields/],
      ["a cron with both day fields", { expression: "cron(0 2 * * MON *)" }, /invalid expression .*exactly one of day-of-month and day-of-week must be "\?"/],
      ["an hour of 25", { expression: "cron(0 25 * * ? *)" }, /hours field "25"/],
      ["a plural rate of one", { expression: "rate(1 days)" }, /write rate\(1 day\)/],
      ["a rate in weeks", { expression: "rate(1 week)" }, /unit "week" is not minute\(s\), hour\(s\) or day\(s\)/],
      ["a one-time schedule", { expression: "at(2030-01-01T02:00:00)" }, /neither cron\(\.\.\.\) nor rate/],
      ["an unknown time zone", { timeZone: "Japan Standard Time" }, /invalid timeZone = "Japan Standard Time"/],
      ["a zero flexible window", { flexibleWindowMinutes: 0 }, /invalid flexibleWindowMinutes = 0\. Allowed: an integer from 1 to 1440/],
      ["186 retries", { retryAttempts: 186 }, /invalid retryAttempts = 186\. Allowed: an integer from 0 to 185/],
      ["a maximum event age under a minute", { maxEventAgeSeconds: 30 }, /invalid maxEventAgeSeconds = 30\. Allowed: an integer from 60 to 86400/],
      ["an EC2 definition on a Fargate queue", { jobDefinition: { ...jobDefinition, platform: BatchPlatform.EC2 } }, /invalid jobDefinition = "nightly"\. Allowed: a FARGATE job definition, like the compute environments of queue nightly/],
      ["a fair-share queue without a share identifier", { jobQueue: { ...jobQueue, fairShareScheduling: true } }, /invalid shareIdentifier = undefined\. Allowed: a share identifier: queue nightly schedules by fair share/],
      ["a share identifier on a FIFO queue", { shareIdentifier: "nightly" }, /invalid shareIdentifier = "nightly"\. Allowed: no share identifier: queue nightly is first in, first out/],
      ["a share identifier with a wildcard", { jobQueue: { ...jobQueue, fairShareScheduling: true }, shareIdentifier: "team*" }, /invalid shareIdentifier = "team\*"/],
      ["a job name with a dot", { jobName: "nightly.run" }, /invalid jobName = "nightly\.run"/],
      ["a schedule name too long for its role", { name: "s".repeat(51) }, /invalid name = "s{51}"/],
    ])("GIVEN %s WHEN synthesized THEN it is refused", (_, overrides, message) => {
      expect(() => schedule(overrides)).toThrow(message);
    });

    test("GIVEN an error WHEN thrown THEN it names the construct and its path", () => {
      expect(() => schedule({ expression: "daily" })).toThrow(/^BatchSchedule \(\S+\/Schedule\): invalid expression = "daily"/);
    });
  });
});
