import { Construct } from "constructs";
import { BatchJobDefinition as BatchJobDefinitionResource } from "@cdktf/provider-aws/lib/batch-job-definition";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { BatchPlatform } from "../../modules/batch-compute-environment";
import { BatchJobDefinition, BatchJobDefinitionProps, CpuArchitecture, DEFAULT_RETRY_RULES, RetryAction } from "../../modules/batch-job-definition";
import { ecrRepositoryArnOfImage } from "../../modules/internal/ecs-execution-role";
import { resources, single, synth } from "../support/synth";

const IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/recommender-batch:2024-06-01";
const base: BatchJobDefinitionProps = { name: "nightly", image: IMAGE };

function definition(overrides: Partial<BatchJobDefinitionProps> = {}, extra: (job: BatchJobDefinition) => void = () => undefined) {
  let built: BatchJobDefinition | undefined;
  const result = synth((scope: Construct) => {
    built = new BatchJobDefinition(scope, "Job", { ...base, ...overrides });
    extra(built);
  });
  return { ...result, job: built as BatchJobDefinition };
}

/** Warnings the construct added with Annotations. */
function warnings(overrides: Partial<BatchJobDefinitionProps>): string[] {
  return definition(overrides).job.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

/** The statements of the policy document data source whose id contains `id`. */
function statements(json: ReturnType<typeof definition>["json"], id: string): Array<Record<string, unknown>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id)) ?? [];
  return (document?.statement ?? []) as Array<Record<string, unknown>>;
}

describe("BatchJobDefinition", () => {
  test("GIVEN defaults WHEN synthesized THEN a Fargate container job with a 1-hour attempt timeout, 3 attempts and tag propagation", () => {
    const { text, job } = definition();
    expect(text).toHaveResourceWithProperties(BatchJobDefinitionResource, {
      name: "nightly",
      type: "container",
      platform_capabilities: ["FARGATE"],
      timeout: { attempt_duration_seconds: 3600 },
      propagate_tags: true,
      container_properties: expect.stringMatching(/^\$\{jsonencode\(\{/),
      depends_on: [expect.stringMatching(/^aws_iam_role_policy\.Job_ExecutionPolicy/)],
    });
    expect(job.platform).toBe(BatchPlatform.FARGATE);
    expect(job.jobDefinitionName).toBe("nightly");
  });

  test("GIVEN Fargate WHEN synthesized THEN the container writes every field AWS fills in, so a plan after apply shows no change", () => {
    const { job } = definition();
    expect(job.containerProperties).toEqual({
      image: IMAGE,
      jobRoleArn: job.jobRoleArn,
      executionRoleArn: job.executionRoleArn,
      resourceRequirements: [
        { type: "VCPU", value: "1" },
        { type: "MEMORY", value: "2048" },
      ],
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": job.logGroupName, "awslogs-region": expect.any(String), "awslogs-stream-prefix": "nightly" },
      },
      networkConfiguration: { assignPublicIp: "DISABLED" },
      fargatePlatformConfiguration: { platformVersion: "LATEST" },
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    });
  });

  test("GIVEN a command, environment in any order, parameters, ARM64 and storage WHEN synthesized THEN the container has them, environment sorted by name", () => {
    const { job, text } = definition({
      vcpus: 0.5,
      memoryMiB: 4096,
      cpuArchitecture: CpuArchitecture.ARM64,
      ephemeralStorageGiB: 50,
      command: ["python", "-m", "batch", "Ref::run_date"],
      environment: { ZED: "z", ALPHA: "a" },
      parameters: { run_date: "latest" },
    });
    expect(job.containerProperties).toMatchObject({
      command: ["python", "-m", "batch", "Ref::run_date"],
      environment: [
        { name: "ALPHA", value: "a" },
        { name: "ZED", value: "z" },
      ],
      resourceRequirements: [
        { type: "VCPU", value: "0.5" },
        { type: "MEMORY", value: "4096" },
      ],
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
      ephemeralStorage: { sizeInGiB: 50 },
    });
    expect(text).toHaveResourceWithProperties(BatchJobDefinitionResource, { parameters: { run_date: "latest" } });
  });

  test("GIVEN EC2 WHEN synthesized THEN whole vCPUs and no Fargate-only fields", () => {
    const { job, text } = definition({ platform: BatchPlatform.EC2, vcpus: 8, memoryMiB: 15000 });
    expect(text).toHaveResourceWithProperties(BatchJobDefinitionResource, { platform_capabilities: ["EC2"] });
    expect(job.containerProperties).toMatchObject({ resourceRequirements: [{ type: "VCPU", value: "8" }, { type: "MEMORY", value: "15000" }] });
    for (const field of ["networkConfiguration", "fargatePlatformConfiguration", "runtimePlatform"]) {
      expect(job.containerProperties[field]).toBeUndefined();
    }
  });

  test("GIVEN defaults WHEN synthesized THEN infrastructure failures are retried and application errors exit", () => {
    expect(single(definition().json, "aws_batch_job_definition").retry_strategy).toEqual({
      attempts: 3,
      evaluate_on_exit: [
        { action: "RETRY", on_status_reason: "Host EC2*" },
        { action: "RETRY", on_reason: "AGENT" },
        { action: "RETRY", on_status_reason: "Your Spot Task was interrupted*" },
        { action: "RETRY", on_status_reason: "Task failed to start*" },
        { action: "EXIT", on_reason: "*" },
      ],
    });
    // Batch's maximum: a user who adds a rule must replace the defaults.
    expect(DEFAULT_RETRY_RULES).toHaveLength(5);
  });

  test("GIVEN the default rules WHEN read in order THEN AWS's documented host and agent rules retry before the single catch-all EXIT, which is last", () => {
    const exits = DEFAULT_RETRY_RULES.filter((rule) => rule.action === RetryAction.EXIT);
    expect(exits).toEqual([{ action: RetryAction.EXIT, onReason: "*" }]);
    expect(DEFAULT_RETRY_RULES[DEFAULT_RETRY_RULES.length - 1]).toBe(exits[0]);
    expect(DEFAULT_RETRY_RULES).toEqual(
      expect.arrayContaining([
        { action: RetryAction.RETRY, onStatusReason: "Host EC2*" },
        { action: RetryAction.RETRY, onReason: "AGENT" },
      ]),
    );
  });

  test("GIVEN custom retry rules WHEN synthesized THEN they replace the defaults in order", () => {
    const rules = [
      { action: RetryAction.RETRY, onExitCode: "137" },
      { action: RetryAction.EXIT, onExitCode: "*" },
    ];
    expect(single(definition({ retry: { attempts: 5, rules } }).json, "aws_batch_job_definition").retry_strategy).toEqual({
      attempts: 5,
      evaluate_on_exit: [
        { action: "RETRY", on_exit_code: "137" },
        { action: "EXIT", on_exit_code: "*" },
      ],
    });
  });

  test("GIVEN defaults WHEN synthesized THEN logs go to /aws/batch/<name> kept 30 days; logRetentionDays changes it", () => {
    expect(definition().text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/batch/nightly", retention_in_days: 30 });
    expect(definition({ logRetentionDays: 90 }).text).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 90 });
  });

  test("GIVEN an ECR image WHEN synthesized THEN the execution role may pull that repository only and write the job's log group", () => {
    const { json, text } = definition();
    expect(text).toHaveResourceWithProperties(IamRole, { name: "nightly-execution" });
    expect(statements(json, "ExecutionPolicyDocument")).toEqual([
      { sid: "Logs", effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [expect.stringMatching(/aws_cloudwatch_log_group\.Job_LogGroup_\w+\.arn\}:\*$/)] },
      { sid: "EcrLogin", effect: "Allow", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      {
        sid: "PullImage",
        effect: "Allow",
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        resources: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.Job_Partition_\w+\.partition\}:ecr:ap-northeast-1:123456789012:repository\/recommender-batch$/)],
      },
    ]);
  });

  test("GIVEN a public image WHEN synthesized THEN the execution role has no ECR statement", () => {
    const { json } = definition({ image: "public.ecr.aws/docker/library/python:3.12" });
    expect(statements(json, "ExecutionPolicyDocument").map((s) => s.sid)).toEqual(["Logs"]);
  });

  test("GIVEN ecrRepositoryArn WHEN synthesized THEN it is the repository pulled from", () => {
    const repository = "arn:aws:ecr:eu-central-1:123456789012:repository/shared/recommender";
    const { json } = definition({ image: "registry.example.com/recommender:1", ecrRepositoryArn: repository });
    expect(statements(json, "ExecutionPolicyDocument").find((s) => s.sid === "PullImage")?.resources).toEqual([repository]);
  });

  test.each<[string, string | undefined]>([
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/model:v1", "arn:aws:ecr:eu-west-1:123456789012:repository/team/model"],
    [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/model@sha256:${"a".repeat(64)}`, "arn:aws:ecr:eu-west-1:123456789012:repository/model"],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/model", "arn:aws:ecr:cn-north-1:123456789012:repository/model"],
    ["docker.io/library/python:3.12", undefined],
  ])("GIVEN the image %s WHEN its repository is derived THEN it is %s", (image, expected) => {
    expect(ecrRepositoryArnOfImage(image, "aws")).toBe(expected);
  });

  test("GIVEN grants WHEN synthesized THEN the job role reads the model store and writes results, write-only", () => {
    const { json, text } = definition({}, (job) => {
      job.grantModelStoreRead({ bucketArn: "arn:aws:s3:::models", prefix: "recommender/v7/" });
      job.grantResultsWrite({ bucketArn: "arn:aws:s3:::results", prefix: "recommendations/", kmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:key/abc" });
    });
    expect(text).toHaveResourceWithProperties(IamRole, { name: "nightly-job" });
    expect(text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [
        expect.objectContaining({ actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::models"] }),
        expect.objectContaining({ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::models/recommender/v7/*"] }),
        expect.objectContaining({ actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: ["arn:aws:s3:::results/recommendations/*"] }),
        expect.objectContaining({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: ["arn:aws:kms:ap-northeast-1:123456789012:key/abc"] }),
      ],
    });
    expect(Object.values(resources(json, "aws_iam_role_policy")).map((p) => p.name).sort()).toEqual(["execution", "grants"]);
  });

  describe("warnings for risky but legal choices", () => {
    test("GIVEN defaults WHEN synthesized THEN no warning", () => {
      expect(warnings({})).toEqual([]);
    });

    test("GIVEN retry rules without an EXIT catch-all WHEN synthesized THEN a warning says unmatched failures are retried", () => {
      expect(warnings({ retry: { rules: [{ action: RetryAction.RETRY, onStatusReason: "Host EC2*" }] } })).toEqual([
        expect.stringMatching(/no retry rule exits on "\*", and Batch retries every failure no rule matches/),
      ]);
    });

    test("GIVEN a single attempt WHEN synthesized THEN no retry warning (nothing is retried)", () => {
      expect(warnings({ retry: { attempts: 1, rules: [{ action: RetryAction.RETRY, onStatusReason: "Host EC2*" }] } })).toEqual([]);
    });
  });

  describe("validation", () => {
    test.each<[string, Partial<BatchJobDefinitionProps>, RegExp]>([
      ["1 vCPU with 16 GiB on Fargate", { vcpus: 1, memoryMiB: 16384 }, /invalid memoryMiB = 16384\. Allowed: with 1 vCPU on Fargate: 2048, .* Fix: use vcpus 2 or 4 or 8 for 16384 MiB/],
      ["0.25 vCPU with 4 GiB on Fargate", { vcpus: 0.25, memoryMiB: 4096 }, /invalid memoryMiB = 4096\. Allowed: with 0\.25 vCPU on Fargate: 512, 1024, 2048 MiB/],
      ["3 vCPUs on Fargate", { vcpus: 3, memoryMiB: 8192 }, /invalid vcpus = 3\. Allowed: one of 0\.25, 0\.5, 1, 2, 4, 8, 16, 32 on Fargate/],
      ["half a vCPU on EC2", { platform: BatchPlatform.EC2, vcpus: 0.5 }, /invalid vcpus = 0\.5\. Allowed: a whole number, at least 1/],
      ["2 MiB on EC2", { platform: BatchPlatform.EC2, memoryMiB: 2 }, /invalid memoryMiB = 2\. Allowed: a whole number, at least 4/],
      ["a CPU architecture on EC2", { platform: BatchPlatform.EC2, cpuArchitecture: CpuArchitecture.ARM64 }, /invalid cpuArchitecture = "ARM64"\. Allowed: only with BatchPlatform\.FARGATE/],
      ["ephemeral storage on EC2", { platform: BatchPlatform.EC2, ephemeralStorageGiB: 50 }, /invalid ephemeralStorageGiB = 50\. Allowed: only with BatchPlatform\.FARGATE/],
      ["20 GiB of ephemeral storage", { ephemeralStorageGiB: 20 }, /invalid ephemeralStorageGiB = 20\. Allowed: an integer from 21 to 200/],
      ["a timeout under 60 s", { timeoutSeconds: 59 }, /invalid timeoutSeconds = 59\. Allowed: a whole number, at least 60/],
      ["a fractional timeout", { timeoutSeconds: 90.5 }, /invalid timeoutSeconds = 90\.5/],
      ["0 retry attempts", { retry: { attempts: 0 } }, /invalid retry\.attempts = 0\. Allowed: an integer from 1 to 10/],
      ["11 retry attempts", { retry: { attempts: 11 } }, /invalid retry\.attempts = 11\. Allowed: an integer from 1 to 10/],
      [
        "six retry rules",
        { retry: { rules: Array.from({ length: 6 }, () => ({ action: RetryAction.EXIT, onReason: "*" })) } },
        /invalid retry\.rules = 6\. Allowed: at most 5 rules/,
      ],
      ["a rule without a pattern", { retry: { rules: [{ action: RetryAction.EXIT }] } }, /invalid retry\.rules\[0\] = .*Allowed: a rule with onExitCode, onReason or onStatusReason/],
      ["a * inside a pattern", { retry: { rules: [{ action: RetryAction.RETRY, onStatusReason: "Host * terminated" }] } }, /invalid retry\.rules\[0\]\.onStatusReason = "Host \* terminated"/],
      ["letters in an exit code", { retry: { rules: [{ action: RetryAction.EXIT, onExitCode: "err" }] } }, /invalid retry\.rules\[0\]\.onExitCode = "err"/],
      ["an AWS_BATCH variable", { environment: { AWS_BATCH_JOB_ID: "x" } }, /invalid environment = "AWS_BATCH_JOB_ID"\. Allowed: .*not starting with AWS_BATCH/],
      ["an empty variable", { environment: { MODEL: "" } }, /invalid environment\.MODEL = ""\. Allowed: a non-empty value/],
      ["a variable name with a hyphen", { environment: { "MODEL-URI": "s3://x" } }, /invalid environment = "MODEL-URI"/],
      ["a retention CloudWatch does not offer", { logRetentionDays: 45 }, /invalid logRetentionDays = 45/],
      ["an empty image", { image: " " }, /invalid image = " "\. Allowed: a container image reference/],
      ["a name too long for its IAM roles", { name: "n".repeat(51) }, /invalid name = "n{51}"\. Allowed: 1 to 50 letters/],
    ])("GIVEN %s WHEN synthesized THEN it is refused", (_, overrides, message) => {
      expect(() => definition(overrides)).toThrow(message);
    });

    test("GIVEN an error WHEN thrown THEN it names the construct and its path", () => {
      expect(() => definition({ timeoutSeconds: 10 })).toThrow(/^BatchJobDefinition \(\S+\/Job\): invalid timeoutSeconds = 10/);
    });
  });
});
