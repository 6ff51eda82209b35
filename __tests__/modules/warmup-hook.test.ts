import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { InferenceFleet, InferenceFleetProps } from "../../modules/inference-fleet";
import { VpcEndpoints } from "../../modules/vpc-endpoints";
import { IncompleteWarmupResult, WarmupHook, WarmupHookProps, WarmupMethod, WarmupMode } from "../../modules/warmup-hook";
import { Connections } from "../../modules/connections";
import { readFileSync } from "node:fs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { deterministicZip, unzipFile } from "../../modules/internal/zip";
import { removeDir, synthApp } from "../support/terraform";
import { count, resources, single, synth } from "../support/synth";

const bundleDir = mkdtempSync(join(tmpdir(), "warmup-bundle-"));
const bundle = join(bundleDir, "warmup.zip");
writeFileSync(bundle, deterministicZip({ "index.js": Buffer.from("exports.handler = async () => ({});\n") }));
const payloadDir = mkdtempSync(join(tmpdir(), "warmup-payload-"));
const payload = join(payloadDir, "cat.jpg");
writeFileSync(payload, Buffer.from([0xff, 0xd8, 0xff]));
afterAll(() => [bundleDir, payloadDir].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const fleetProps: InferenceFleetProps = {
  name: "fleet",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  loadBalancer: { targetGroupArn: "arn:tg", connections: Connections.fromSecurityGroupId("LoadBalancer", "sg-alb"), requestCountResourceLabel: "label", targetPort: 8080 },
  imageId: "ami-0123456789abcdef0",
  instanceType: "c6i.8xlarge",
  launchHook: { heartbeatTimeoutSeconds: 300 },
};

function warmup(overrides: Partial<WarmupHookProps> = {}, options: { fleet?: Partial<InferenceFleetProps>; endpoints?: boolean } = {}) {
  return synth((scope: Construct) => {
    const fleet = new InferenceFleet(scope, "Fleet", { ...fleetProps, ...options.fleet });
    const endpoints = options.endpoints === false ? undefined : new VpcEndpoints(scope, "Endpoints", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"] });
    new WarmupHook(scope, "Warmup", { fleet, endpoints, bundle, ...overrides });
  });
}

const env = (json: ReturnType<typeof warmup>["json"]) => (single(json, "aws_lambda_function").environment as { variables: Record<string, string> }).variables;

describe("WarmupHook", () => {
  test("GIVEN a fleet WHEN synthesized THEN a Node.js 22 arm64 function runs in the fleet's subnets with JSON logs", () => {
    const { text } = warmup();
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "fleet-warmup",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      timeout: 900,
      memory_size: 256,
      vpc_config: { subnet_ids: ["subnet-a", "subnet-b"], security_group_ids: [expect.stringMatching(/aws_security_group\.Warmup_SecurityGroup/)] },
      logging_config: { log_format: "JSON", log_group: expect.stringMatching(/aws_cloudwatch_log_group/) },
      filename: expect.stringMatching(/^assets\/Warmup_Bundle_\w+\/[0-9A-F]+\/warmup\.zip$/),
      source_code_hash: expect.stringMatching(/^[0-9A-F]{32}$/),
    });
    expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/fleet-warmup", retention_in_days: 30 });
  });

  test("GIVEN defaults WHEN synthesized THEN the environment sets every WARMUP_ variable from the fleet and defaults", () => {
    expect(env(warmup().json)).toEqual({
      NODE_OPTIONS: "--enable-source-maps",
      WARMUP_AUTO_SCALING_GROUP_NAME: "fleet",
      WARMUP_CLAIMS_TABLE: expect.stringMatching(/^\$\{aws_dynamodb_table\.Warmup_ClaimsTable_\w+\.name\}$/),
      WARMUP_PORT: "8080",
      WARMUP_HEALTH_PATH: "/health",
      WARMUP_PATH: "/predict",
      WARMUP_METHOD: "POST",
      WARMUP_BODY: "{}",
      WARMUP_CONTENT_TYPE: "application/json",
      WARMUP_FALLBACK_WORKERS: "32",
      WARMUP_CLEAN_ROUNDS: "2",
      WARMUP_COLD_FACTOR: "3",
      WARMUP_COLD_TOLERANCE_MS: "100",
      WARMUP_NOT_READY_WINDOW_SECONDS: "300",
      WARMUP_MAX_BACKOFF_SECONDS: "10",
      WARMUP_WORKER_ID_HEADER: "X-Worker-Id",
      WARMUP_REQUEST_TIMEOUT_SECONDS: "60",
      WARMUP_HEALTH_TIMEOUT_SECONDS: "2",
      WARMUP_HEALTH_DEADLINE_SECONDS: "600",
      WARMUP_SAFETY_MARGIN_SECONDS: "10",
      WARMUP_AWS_TIMEOUT_MS: "5000",
      WARMUP_METRICS_NAMESPACE: "Warmfleet/Warmup",
      WARMUP_HEARTBEAT_INTERVAL_SECONDS: "100",
      WARMUP_ON_INCOMPLETE: "CONTINUE",
    });
  });

  test("GIVEN every tuning prop WHEN synthesized THEN the function and environment follow them", () => {
    const { json, text } = warmup({
      healthPath: "/ready",
      warmupPath: "/v1/predict",
      method: WarmupMethod.PUT,
      body: '{"features":[1,2]}',
      contentType: "application/x-json",
      workersPerInstance: 16,
      concurrency: 24,
      cleanRounds: 3,
      coldFactor: 2.5,
      coldToleranceMs: 50,
      maxRequests: 500,
      notReadyWindowSeconds: 120,
      maxBackoffSeconds: 5,
      workerIdHeader: "X-Gunicorn-Worker",
      requestTimeoutSeconds: 120,
      healthRequestTimeoutSeconds: 4,
      healthDeadlineSeconds: 300,
      safetyMarginSeconds: 20,
      awsRequestTimeoutMs: 3000,
      metricsNamespace: "Team/Warmup",
      onIncomplete: IncompleteWarmupResult.ABANDON,
      timeoutSeconds: 600,
      memoryMb: 512,
      logRetentionDays: 90,
      retryAttempts: 1,
      maxEventAgeSeconds: 900,
      ruleRetryAttempts: 4,
      subnetIds: ["subnet-x"],
    });
    expect(env(json)).toMatchObject({
      WARMUP_HEALTH_PATH: "/ready",
      WARMUP_PATH: "/v1/predict",
      WARMUP_METHOD: "PUT",
      WARMUP_BODY: '{"features":[1,2]}',
      WARMUP_CONTENT_TYPE: "application/x-json",
      WARMUP_WORKERS: "16",
      WARMUP_FALLBACK_WORKERS: "16",
      WARMUP_CONCURRENCY: "24",
      WARMUP_CLEAN_ROUNDS: "3",
      WARMUP_COLD_FACTOR: "2.5",
      WARMUP_COLD_TOLERANCE_MS: "50",
      WARMUP_MAX_REQUESTS: "500",
      WARMUP_NOT_READY_WINDOW_SECONDS: "120",
      WARMUP_MAX_BACKOFF_SECONDS: "5",
      WARMUP_WORKER_ID_HEADER: "X-Gunicorn-Worker",
      WARMUP_REQUEST_TIMEOUT_SECONDS: "120",
      WARMUP_HEALTH_TIMEOUT_SECONDS: "4",
      WARMUP_HEALTH_DEADLINE_SECONDS: "300",
      WARMUP_SAFETY_MARGIN_SECONDS: "20",
      WARMUP_AWS_TIMEOUT_MS: "3000",
      WARMUP_METRICS_NAMESPACE: "Team/Warmup",
      WARMUP_ON_INCOMPLETE: "ABANDON",
    });
    expect(text).toHaveResourceWithProperties(LambdaFunction, { timeout: 600, memory_size: 512, vpc_config: expect.objectContaining({ subnet_ids: ["subnet-x"] }) });
    expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { retention_in_days: 90 });
    expect(text).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, { maximum_retry_attempts: 1, maximum_event_age_in_seconds: 900 });
    expect(text).toHaveResourceWithProperties(CloudwatchEventTarget, { retry_policy: { maximum_retry_attempts: 4, maximum_event_age_in_seconds: 900 } });
  });

  test("GIVEN a body file WHEN synthesized THEN it ships in the bundle and the function reads it from there", () => {
    const withFile = warmup({ bodyFile: payload, contentType: "image/jpeg" });
    expect(env(withFile.json)).toMatchObject({ WARMUP_BODY_FILE: "payload/cat.jpg", WARMUP_CONTENT_TYPE: "image/jpeg" });
    expect(env(withFile.json).WARMUP_BODY).toBeUndefined();
    const hash = (json: ReturnType<typeof warmup>["json"]) => single(json, "aws_lambda_function").source_code_hash;
    expect(hash(withFile.json)).not.toEqual(hash(warmup().json));
  });

  test("GIVEN a body file WHEN the app is synthesized THEN the deployed zip holds the function and the payload", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => {
        const stack = new TerraformStack(app, "stack");
        new AwsProvider(stack, "aws", { region: "us-east-1" });
        const fleet = new InferenceFleet(stack, "Fleet", fleetProps);
        new WarmupHook(stack, "Warmup", { fleet, bundle, bodyFile: payload });
      });
      const filename = (Object.values(JSON.parse(readFileSync(join(outdir, "stacks", "stack", "cdk.tf.json"), "utf8")).resource.aws_lambda_function)[0] as { filename: string }).filename;
      const entries = unzipFile(join(outdir, "stacks", "stack", filename));
      expect(Object.keys(entries).sort()).toEqual(["index.js", "payload/cat.jpg"]);
      expect(Buffer.from(entries["payload/cat.jpg"])).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    } finally {
      removeDir(outdir);
    }
  });

  test("GIVEN a fleet WHEN synthesized THEN the rule matches its launch hook and targets the function with retries and the DLQ", () => {
    const { text, json } = warmup();
    expect(text).toHaveResourceWithProperties(CloudwatchEventRule, {
      event_pattern: JSON.stringify({
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-launch Lifecycle Action"],
        detail: { AutoScalingGroupName: ["fleet"], LifecycleHookName: ["fleet-launch"] },
      }),
    });
    expect(text).toHaveResourceWithProperties(CloudwatchEventTarget, {
      retry_policy: { maximum_retry_attempts: 8, maximum_event_age_in_seconds: 3600 },
      dead_letter_config: { arn: expect.stringMatching(/aws_sqs_queue\.Warmup_DeadLetterQueue\w+\.arn/) },
    });
    expect(text).toHaveResourceWithProperties(LambdaPermission, {
      principal: "events.amazonaws.com",
      action: "lambda:InvokeFunction",
      source_arn: expect.stringMatching(/aws_cloudwatch_event_rule\.Warmup_LaunchRule\w+\.arn/),
    });
    expect(text).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, {
      maximum_retry_attempts: 2,
      destination_config: { on_failure: { destination: expect.stringMatching(/aws_sqs_queue/) } },
    });
    expect(text).toHaveResourceWithProperties(SqsQueue, { name: "fleet-warmup-dlq", sqs_managed_sse_enabled: true });
    expect(single(json, "aws_sqs_queue_policy").policy).toMatch(/data\.aws_iam_policy_document\.Warmup_DeadLetterQueuePolicyDocument_\w+\.json/);
    const queueDocument = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([id]) => id.startsWith("Warmup_DeadLetterQueuePolicyDocument"))?.[1];
    expect(queueDocument).toMatchObject({
      statement: [
        {
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [expect.stringMatching(/aws_sqs_queue\.Warmup_DeadLetterQueue_\w+\.arn/)],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/aws_cloudwatch_event_rule/)] }],
        },
      ],
    });
  });

  test("GIVEN a fleet WHEN synthesized THEN the role may complete only this group's lifecycle actions, and nothing beyond the listed actions", () => {
    const { json } = warmup();
    const documents = json.data?.aws_iam_policy_document ?? {};
    const rolePolicies = Object.values(resources(json, "aws_iam_role_policy")).map((p) => String(p.policy));
    const roleDocuments = Object.entries(documents).filter(([id]) => rolePolicies.some((p) => p.includes(`.${id}.`)));
    expect(roleDocuments.map(([id]) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(["Warmup_LifecyclePolicyDocument", "Warmup_RuntimePolicyDocument"]);
    const statements = roleDocuments.flatMap(([, d]) => (d as { statement: { actions: string[]; resources: string[] }[] }).statement);
    const actions = statements.flatMap((s) => s.actions).sort();
    expect(actions).toEqual([
      "autoscaling:CompleteLifecycleAction",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:RecordLifecycleActionHeartbeat",
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:UnassignPrivateIpAddresses",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:SendMessage",
    ]);
    const complete = statements.find((s) => s.actions.includes("autoscaling:CompleteLifecycleAction"));
    expect(complete?.resources).toHaveLength(1);
    expect(complete?.resources[0]).toMatch(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:autoscaling:\$\{data\.aws_region\.\w+\.name\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:autoScalingGroup:\*:autoScalingGroupName\/fleet$/);
    const trust = Object.entries(documents).find(([id]) => id.startsWith("Warmup_TrustPolicy"))?.[1] as { statement: { principals: unknown }[] };
    expect(trust.statement[0].principals).toEqual([{ type: "Service", identifiers: ["lambda.amazonaws.com"] }]);
  });

  test("GIVEN a fleet WHEN synthesized THEN the function waits for its log group and both role policies (CreateFunction checks ENI rights)", () => {
    const dependsOn = single(warmup().json, "aws_lambda_function").depends_on as string[];
    expect(dependsOn.map((d) => d.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "aws_cloudwatch_log_group.Warmup_LogGroup",
      "aws_iam_role_policy.Warmup_LifecyclePolicy",
      "aws_iam_role_policy.Warmup_RuntimePolicy",
    ]);
  });

  test("GIVEN endpoints WHEN synthesized THEN the function's group reaches the fleet's app port and the endpoints' 443, and both admit it by group", () => {
    const { json, text } = warmup();
    const egress = Object.values(resources(json, "aws_vpc_security_group_egress_rule")).filter((r) => String(r.security_group_id).includes("Warmup_SecurityGroup"));
    expect(egress.map((r) => [r.from_port, r.cidr_ipv4 ?? "group"]).sort()).toEqual([[443, "group"], [8080, "group"]]);
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: expect.stringMatching(/Fleet_SecurityGroup/),
      referenced_security_group_id: expect.stringMatching(/Warmup_SecurityGroup/),
      from_port: 8080,
    });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: expect.stringMatching(/Endpoints_SecurityGroup/),
      referenced_security_group_id: expect.stringMatching(/Warmup_SecurityGroup/),
      from_port: 443,
    });
  });

  test("GIVEN no endpoints WHEN synthesized THEN the function reaches AWS APIs on 443 through NAT", () => {
    const { text } = warmup({}, { endpoints: false });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv4: "0.0.0.0/0", from_port: 443, to_port: 443 });
  });

  test("GIVEN a fleet WHEN synthesized THEN its group waits for the whole warmup path before launching", () => {
    const { json } = warmup();
    const dependsOn = single(json, "aws_autoscaling_group").depends_on as string[];
    for (const type of ["aws_lambda_function", "aws_lambda_function_event_invoke_config", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_lambda_permission", "aws_sqs_queue_policy", "aws_vpc_endpoint"]) {
      expect(dependsOn.some((d) => d.startsWith(`${type}.`))).toBe(true);
    }
    expect(count(json, "aws_vpc_endpoint")).toBe(2);
  });

  test.each([
    ["c6i.large", 2],
    ["c6i.xlarge", 4],
    ["c6i.8xlarge", 32],
    ["c6i.32xlarge", 128],
    ["c6i.metal", 128],
    ["c7i.48xlarge", 192],
    ["c7g.medium", 1],
  ])("GIVEN a %s fleet WHEN synthesized THEN %s workers are the fallback, and the width is left to the launched instance", (instanceType, workers) => {
    const { json } = warmup({}, { fleet: { instanceType, imageId: "ami-0123456789abcdef0" } });
    expect(env(json)).toMatchObject({ WARMUP_FALLBACK_WORKERS: String(workers) });
    expect(env(json)).not.toHaveProperty("WARMUP_WORKERS");
    expect(env(json)).not.toHaveProperty("WARMUP_CONCURRENCY");
  });

  test("GIVEN a type warmfleet cannot size and workersPerInstance WHEN synthesized THEN the stated count overrides the instance's vCPUs", () => {
    const { json } = warmup({ workersPerInstance: 2 }, { fleet: { instanceType: "t3.micro" } });
    expect(env(json)).toMatchObject({ WARMUP_WORKERS: "2", WARMUP_FALLBACK_WORKERS: "2" });
  });

  test.each<[string, Partial<WarmupHookProps>, { fleet?: Partial<InferenceFleetProps> }, RegExp]>([
    ["no hook", {}, { fleet: { launchHook: undefined } }, /WarmupHook \(\S+\): invalid fleet = "fleet". Allowed: a fleet with a launch lifecycle hook. Fix: set launchHook/],
    ["t3 without workers", {}, { fleet: { instanceType: "t3.micro" } }, /WarmupHook \(\S+Warmup\): invalid fleet.instanceType = "t3.micro". Allowed: a C-family type .*c6i.metal.* Fix: set workersPerInstance/],
    ["other metal without workers", {}, { fleet: { instanceType: "c5.metal" } }, /invalid fleet.instanceType = "c5.metal".*Fix: set workersPerInstance/],
    ["zero workers", { workersPerInstance: 0 }, {}, /invalid workersPerInstance = 0. Allowed: an integer from 1 to 1024/],
    ["concurrency below workers", { workersPerInstance: 8, concurrency: 4 }, {}, /invalid concurrency = 4. Allowed: an integer from 8 to 4096/],
    ["timeout too long", { timeoutSeconds: 901 }, {}, /invalid timeoutSeconds = 901/],
    ["memory too small", { memoryMb: 64 }, {}, /invalid memoryMb = 64/],
    ["too many retries", { retryAttempts: 3 }, {}, /invalid retryAttempts = 3. Allowed: an integer from 0 to 2/],
    ["event age", { maxEventAgeSeconds: 30 }, {}, /invalid maxEventAgeSeconds = 30/],
    ["rule retries", { ruleRetryAttempts: 200 }, {}, /invalid ruleRetryAttempts = 200/],
    ["retention", { logRetentionDays: 10 }, {}, /invalid logRetentionDays = 10. Allowed: one of 1, 3, 5/],
    ["relative path", { warmupPath: "predict" }, {}, /invalid warmupPath = "predict"/],
    ["body and file", { body: "{}", bodyFile: payload }, {}, /invalid bodyFile = .*either body or bodyFile/],
    ["missing file", { bodyFile: "/nonexistent/cat.jpg" }, {}, /invalid bodyFile = "\/nonexistent\/cat.jpg". Allowed: an existing file/],
    ["GET with body", { method: WarmupMethod.GET, body: "{}" }, {}, /invalid method = "GET"/],
    ["cold factor", { coldFactor: 1 }, {}, /invalid coldFactor = 1/],
    ["cold tolerance", { coldToleranceMs: -1 }, {}, /invalid coldToleranceMs = -1/],
    ["not-ready window", { notReadyWindowSeconds: 4 }, {}, /invalid notReadyWindowSeconds = 4. Allowed: an integer from 5 to 3600/],
    ["backoff", { maxBackoffSeconds: 0 }, {}, /invalid maxBackoffSeconds = 0/],
    ["header name", { workerIdHeader: "X Worker" }, {}, /invalid workerIdHeader = "X Worker". Allowed: an HTTP header name/],
    ["health timeout", { healthRequestTimeoutSeconds: 61 }, {}, /invalid healthRequestTimeoutSeconds = 61/],
    ["safety margin", { safetyMarginSeconds: 0 }, {}, /invalid safetyMarginSeconds = 0/],
    ["AWS timeout", { awsRequestTimeoutMs: 50 }, {}, /invalid awsRequestTimeoutMs = 50/],
    ["budget below a round", { workersPerInstance: 4, maxRequests: 4 }, {}, /invalid maxRequests = 4. Allowed: an integer from 8/],
    ["missing bundle", { bundle: "/nonexistent/warmup.zip" }, {}, /invalid bundle = "\/nonexistent\/warmup.zip". Allowed: the zip of the built function. Fix: run `npm run build`/],
  ])("GIVEN %s WHEN synthesized THEN it fails naming the prop", (_label, overrides, options, message) => {
    expect(() => warmup(overrides, options)).toThrow(message);
  });

  describe("ECS_HOST mode (a fleet of ECS hosts)", () => {
    const cluster = { clusterName: "inference", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/inference", capacityProviderNames: ["FARGATE", "FARGATE_SPOT"] };
    const ecsFleet: Partial<InferenceFleetProps> = { loadBalancer: undefined, imageId: undefined, instanceType: "m6i.xlarge", ecsHost: { cluster } };
    const { json } = warmup({}, { fleet: ecsFleet });

    test("GIVEN a fleet of ECS hosts WHEN synthesized THEN the function runs in ECS_HOST mode for the fleet's cluster, whatever its instance type", () => {
      expect(env(json)).toMatchObject({ WARMUP_MODE: "ECS_HOST", WARMUP_ECS_CLUSTER: "inference" });
    });

    test("GIVEN a fleet of ECS hosts WHEN synthesized THEN the function may list and describe container instances of that cluster only", () => {
      const document = Object.values(json.data?.aws_iam_policy_document ?? {}).find((d) => JSON.stringify(d).includes("ListThisClustersInstances")) as { statement: unknown[] };
      expect(document.statement).toEqual([
        { sid: "ListThisClustersInstances", effect: "Allow", actions: ["ecs:ListContainerInstances"], resources: [cluster.clusterArn] },
        {
          sid: "DescribeThisClustersInstances",
          effect: "Allow",
          actions: ["ecs:DescribeContainerInstances"],
          resources: ["*"],
          condition: [{ test: "ArnEquals", variable: "ecs:cluster", values: [cluster.clusterArn] }],
        },
      ]);
    });

    test("GIVEN a fleet of ECS hosts WHEN synthesized THEN the function opens no flow to the hosts, only 443 to the endpoints", () => {
      const egress = Object.values(resources(json, "aws_vpc_security_group_egress_rule")).filter((r) => String(r.security_group_id).includes("Warmup_SecurityGroup"));
      expect(egress.map((r) => r.from_port)).toEqual([443]);
    });

    test.each<[string, string[], number]>([
      ["no ecs endpoint", ["ec2", "autoscaling"], 1],
      ["an ecs endpoint", ["ec2", "autoscaling", "ecs"], 0],
    ])("GIVEN endpoints with %s WHEN synthesized THEN the ECS_HOST endpoint warnings number %i", (_label, services, warnings) => {
      let found: string[] = [];
      synth((scope) => {
        const fleet = new InferenceFleet(scope, "Fleet", { ...fleetProps, ...ecsFleet });
        const endpoints = new VpcEndpoints(scope, "Endpoints", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"], services });
        const hook = new WarmupHook(scope, "Warmup", { fleet, endpoints, bundle });
        found = hook.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)).filter((w) => w.includes("ECS_HOST"));
      });
      expect(found).toHaveLength(warnings);
      found.forEach((warning) => expect(warning).toMatch(/ECS_HOST mode calls the ECS API, but the endpoints have no "ecs" service.*Add "ecs" to the VpcEndpoints services/));
    });

    test.each<[string, Partial<WarmupHookProps>, Partial<InferenceFleetProps>, RegExp]>([
      ["HTTP mode on ECS hosts", { mode: WarmupMode.HTTP }, ecsFleet, /WarmupHook \(\S+\): invalid mode = "HTTP". Allowed: ECS_HOST for a fleet of ECS hosts/],
      ["ECS_HOST mode on a load-balanced fleet", { mode: WarmupMode.ECS_HOST }, {}, /invalid mode = "ECS_HOST". Allowed: ECS_HOST only for a fleet of ECS hosts/],
    ])("GIVEN %s WHEN synthesized THEN it fails naming the prop", (_label, overrides, fleet, message) => {
      expect(() => warmup(overrides, { fleet })).toThrow(message);
    });
  });
});

describe("WarmupHook leases for the reconciler", () => {
  const built = warmup();
  const statementsOf = (json: typeof built.json, id: string) =>
    (Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id))?.[1].statement ?? []) as Array<Record<string, unknown>>;

  test("GIVEN a fleet WHEN synthesized THEN an on-demand, encrypted claims table with a TTL and no point-in-time recovery backs the function's leases", () => {
    expect(built.text).toHaveResourceWithProperties(DynamodbTable, {
      name: "fleet-warmup-claims",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pk",
      attribute: [{ name: "pk", type: "S" }],
      ttl: { attribute_name: "expiresAt", enabled: true },
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: false },
    });
    expect(env(built.json).WARMUP_CLAIMS_TABLE).toMatch(/\$\{aws_dynamodb_table\.Warmup_ClaimsTable_\w+\.name\}/);
  });

  test("GIVEN a fleet WHEN synthesized THEN the function may put and delete items of that table only", () => {
    const leases = statementsOf(built.json, "Warmup_RuntimePolicyDocument").find((s) => s.sid === "WarmupLeases");
    expect(leases).toMatchObject({ actions: ["dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [expect.stringMatching(/aws_dynamodb_table\.Warmup_ClaimsTable_\w+\.arn/)] });
  });

  test("GIVEN the prefix list of a DynamoDB gateway endpoint WHEN synthesized THEN the function may reach it on 443, and no warning is given", () => {
    const scoped = synth((scope: Construct) => {
      const fleet = new InferenceFleet(scope, "Fleet", fleetProps);
      const endpoints = new VpcEndpoints(scope, "Endpoints", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"] });
      const hook = new WarmupHook(scope, "Warmup", { fleet, endpoints, bundle, dynamoDbPrefixListId: "pl-02cd2c6b" });
      expect(hook.node.metadata.filter((m) => m.type === "@cdktf/warn")).toEqual([]);
    });
    expect(scoped.text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { prefix_list_id: "pl-02cd2c6b", from_port: 443, to_port: 443, ip_protocol: "tcp" });
  });

  test("GIVEN endpoints and no DynamoDB prefix list WHEN synthesized THEN a warning says the leases cannot be reached", () => {
    synth((scope: Construct) => {
      const fleet = new InferenceFleet(scope, "Fleet", fleetProps);
      const endpoints = new VpcEndpoints(scope, "Endpoints", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"] });
      const hook = new WarmupHook(scope, "Warmup", { fleet, endpoints, bundle });
      expect(hook.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data))).toEqual([expect.stringMatching(/reaches its claims table only if .*dynamoDbPrefixListId/)]);
    });
  });

  test("GIVEN an invalid prefix list id WHEN synthesized THEN it is rejected", () => {
    expect(() => warmup({ dynamoDbPrefixListId: "pl-xyz" })).toThrow(/prefixListId.*"pl-" followed by 8 or 17 hexadecimal digits/s);
  });
});
