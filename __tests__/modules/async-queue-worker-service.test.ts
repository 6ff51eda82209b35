import { Construct } from "constructs";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { AsyncQueueWorkerService, AsyncQueueWorkerServiceProps } from "../../modules/async-queue-worker-service";
import { AsyncRequestQueueProps } from "../../modules/async-request-queue";
import { CpuArchitecture } from "../../modules/batch-job-definition";
import { VpcEndpoints } from "../../modules/vpc-endpoints";
import { count, resources, single, synth } from "../support/synth";
import { queueIn, statements, tableIn, warningsOf } from "../support/async";

const IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/async-worker:1.0";

function service(overrides: Partial<AsyncQueueWorkerServiceProps> = {}, options: { queue?: Partial<AsyncRequestQueueProps>; endpoints?: boolean } = {}) {
  let built: AsyncQueueWorkerService | undefined;
  const result = synth((scope: Construct) => {
    const endpoints = options.endpoints ? new VpcEndpoints(scope, "Endpoints", { name: "infer", vpcId: "vpc-1", subnetIds: ["subnet-a"], services: ["sqs"] }) : undefined;
    built = new AsyncQueueWorkerService(scope, "Workers", {
      name: "infer-workers",
      queue: queueIn(scope, { worstCaseProcessingSeconds: 600, visibilityTimeoutFactor: 2, ...options.queue }),
      table: tableIn(scope),
      image: IMAGE,
      vpcId: "vpc-1",
      subnetIds: ["subnet-a", "subnet-b"],
      endpoints,
      latencyGoalSeconds: 300,
      secondsPerMessage: 40,
      ...overrides,
    });
  });
  return { ...result, service: built as AsyncQueueWorkerService };
}

function policies(json: ReturnType<typeof service>["json"]): Record<string, Record<string, any>> {
  return Object.fromEntries(Object.values(resources(json, "aws_appautoscaling_policy")).map((p) => [p.policy_type as string, p]));
}

describe("AsyncQueueWorkerService", () => {
  test("GIVEN defaults WHEN synthesized THEN a Fargate service in private subnets without public IP, desired count left to scaling", () => {
    const { text, json } = service();
    expect(text).toHaveResourceWithProperties(EcsService, {
      name: "infer-workers",
      launch_type: "FARGATE",
      desired_count: 0,
      network_configuration: { subnets: ["subnet-a", "subnet-b"], assign_public_ip: false, security_groups: [expect.stringMatching(/aws_security_group\.Workers_SecurityGroup/)] },
      deployment_circuit_breaker: { enable: true, rollback: true },
      lifecycle: { ignore_changes: ["desired_count"] },
    });
    expect(single(json, "aws_ecs_service").load_balancer).toBeUndefined();
    expect(text).toHaveResourceWithProperties(EcsCluster, { name: "infer-workers", setting: [{ name: "containerInsights", value: "enabled" }] });
  });

  test("GIVEN defaults WHEN synthesized THEN the task definition has the contract's environment, awslogs and a 120 s stop timeout", () => {
    const { text, json } = service();
    expect(text).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: "infer-workers",
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "1024",
      memory: "2048",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
    });
    const containers = single(json, "aws_ecs_task_definition").container_definitions as string;
    for (const fragment of [
      '"name" = "ASYNC_COMPLETIONS_TOPIC_ARN"',
      '"name" = "ASYNC_QUEUE_URL"',
      '"name" = "ASYNC_RESULT_TTL_SECONDS", "value" = "604800"',
      '"name" = "ASYNC_TABLE_NAME"',
      '"name" = "ASYNC_VISIBILITY_TIMEOUT_SECONDS", "value" = "1200"',
      '"name" = "WORKER_STOP_GRACE_SECONDS", "value" = "110"',
      '"stopTimeout" = 120',
      '"logDriver" = "awslogs"',
      `"image" = "${IMAGE}"`,
    ]) {
      expect(containers).toContain(fragment);
    }
  });

  test("GIVEN the task role WHEN synthesized THEN it consumes this queue, updates this table, publishes completions and protects its cluster's tasks only", () => {
    const { json } = service();
    const granted = statements(json, "Workers_GrantsPolicyDocument");
    expect(granted).toEqual([
      expect.objectContaining({ actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], resources: [expect.stringMatching(/^\$\{aws_sqs_queue\.Requests_Queue_\w+\.arn\}$/)] }),
      expect.objectContaining({ actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [expect.stringMatching(/aws_dynamodb_table\.Results_Table_\w+\.arn/)] }),
      expect.objectContaining({ actions: ["sns:Publish"], resources: [expect.stringMatching(/aws_sns_topic\.Requests_CompletionsTopic_\w+\.arn/)] }),
      expect.objectContaining({
        actions: ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
        resources: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:ecs:\$\{data\.aws_region\.\w+\.name\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:task\/\$\{aws_ecs_cluster\.Workers_Cluster_\w+\.name\}\/\*$/)],
      }),
    ]);
  });

  test("GIVEN an ECR image WHEN synthesized THEN the execution role may pull that repository and write the log group only", () => {
    const { json } = service();
    expect(statements(json, "Workers_ExecutionPolicyDocument")).toEqual([
      expect.objectContaining({ sid: "Logs", resources: [expect.stringMatching(/aws_cloudwatch_log_group\.Workers_LogGroup_\w+\.arn\}:\*$/)] }),
      expect.objectContaining({ sid: "EcrLogin", resources: ["*"] }),
      expect.objectContaining({ sid: "PullImage", resources: [expect.stringMatching(/:ecr:ap-northeast-1:123456789012:repository\/async-worker$/)] }),
    ]);
  });

  test("GIVEN endpoints WHEN synthesized THEN the tasks' only egress is 443 (anywhere, and the endpoints' group) and they admit nothing", () => {
    const { json, text } = service({}, { endpoints: true });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "0.0.0.0/0" });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { ip_protocol: "tcp", from_port: 443, to_port: 443 });
    const egress = Object.entries(resources(json, "aws_vpc_security_group_egress_rule")).filter(([key]) => key.startsWith("Workers_"));
    expect(egress.map(([, rule]) => [rule.from_port, rule.to_port, rule.cidr_ipv4 ?? "group"])).toEqual([
      [443, 443, "0.0.0.0/0"],
      [443, 443, "group"],
    ]);
    const ingress = Object.entries(resources(json, "aws_vpc_security_group_ingress_rule"));
    expect(ingress.map(([key]) => key)).toEqual([expect.stringMatching(/^Endpoints_IngressTcp443FromWorkers/)]);
  });

  test("GIVEN a latency goal and time per message WHEN synthesized THEN target tracking holds ceil(goal / time) messages per running task, by metric math", () => {
    const { json, service: s } = service();
    expect(s.targetBacklogPerTask).toBe(8);
    const tracking = policies(json).TargetTrackingScaling.target_tracking_scaling_policy_configuration;
    expect(tracking.target_value).toBe(8);
    const metrics = tracking.customized_metric_specification.metrics as Array<Record<string, any>>;
    expect(metrics.map((m) => [m.id, m.metric_stat?.metric.namespace, m.metric_stat?.metric.metric_name, m.return_data])).toEqual([
      ["visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", false],
      ["inflight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", false],
      ["running", "ECS/ContainerInsights", "RunningTaskCount", false],
      ["backlogpertask", undefined, undefined, true],
    ]);
    // FILL: with no task running Container Insights reports nothing, and an empty expression would stop target tracking.
    expect(metrics[3].expression).toBe("(visible + inflight) / IF(FILL(running, 0) > 0, FILL(running, 0), 1)");
    expect(metrics[2].metric_stat.metric.dimensions).toEqual([
      { name: "ClusterName", value: expect.stringMatching(/aws_ecs_cluster\.Workers_Cluster_\w+\.name/) },
      { name: "ServiceName", value: "infer-workers" },
    ]);
  });

  test("GIVEN no task running WHEN messages are visible THEN an alarm triggers a +1 step policy (scale from zero)", () => {
    const { json, text } = service();
    const step = policies(json).StepScaling.step_scaling_policy_configuration;
    expect(step).toMatchObject({ adjustment_type: "ChangeInCapacity", step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: 1 }] });
    const alarm = single(json, "aws_cloudwatch_metric_alarm");
    expect(alarm).toMatchObject({ alarm_name: "infer-workers-scale-from-zero", comparison_operator: "GreaterThanThreshold", threshold: 0 });
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_appautoscaling_policy\.Workers_ScaleFromZeroPolicy_\w+\.arn/)]);
    expect((alarm.metric_query as Array<Record<string, any>>).find((q) => q.return_data === true)?.expression).toBe("IF(visible > 0 AND FILL(running, 0) == 0, 1, 0)");
    expect(text).toHaveResourceWithProperties(AppautoscalingTarget, { min_capacity: 0, max_capacity: 10, scalable_dimension: "ecs:service:DesiredCount", service_namespace: "ecs" });
  });

  test("GIVEN an existing cluster, Graviton and sizes WHEN synthesized THEN no cluster is created, and a Container Insights warning", () => {
    const { json, service: s } = service({
      cluster: { clusterName: "shared", clusterArn: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/shared" },
      cpuArchitecture: CpuArchitecture.ARM64,
      vcpus: 2,
      memoryMiB: 8192,
      minTasks: 1,
      maxTasks: 4,
    });
    expect(count(json, "aws_ecs_cluster")).toBe(0);
    expect(single(json, "aws_ecs_task_definition")).toMatchObject({ cpu: "2048", memory: "8192", runtime_platform: { cpu_architecture: "ARM64" } });
    expect(single(json, "aws_appautoscaling_target")).toMatchObject({ resource_id: expect.stringMatching(/^service\/shared\/\$\{aws_ecs_service\.Workers_Service_\w+\.name\}$/), min_capacity: 1, max_capacity: 4 });
    expect(warningsOf(s)).toEqual([expect.stringMatching(/cluster shared has containerInsights enabled/)]);
  });

  test.each([
    ["a Fargate size that does not exist", { vcpus: 1, memoryMiB: 1024 }, /invalid memoryMiB = 1024.*with 1 vCPU on Fargate/],
    ["a latency goal below the time per message", { latencyGoalSeconds: 10, secondsPerMessage: 40 }, /invalid latencyGoalSeconds = 10.*at least secondsPerMessage \(40\)/],
    ["a zero time per message", { secondsPerMessage: 0 }, /invalid secondsPerMessage = 0.*positive/],
    ["a time per message above the queue's worst case", { secondsPerMessage: 700, latencyGoalSeconds: 1400 }, /invalid secondsPerMessage = 700.*worstCaseProcessingSeconds \(600\)/],
    ["minTasks above maxTasks", { minTasks: 5, maxTasks: 4 }, /invalid minTasks = 5.*0 to 4/],
    ["maxTasks 0", { maxTasks: 0 }, /invalid maxTasks = 0/],
    ["a stop timeout of 121 s", { stopTimeoutSeconds: 121 }, /invalid stopTimeoutSeconds = 121/],
    ["no subnets", { subnetIds: [] }, /invalid subnetIds = \[\]/],
    ["an empty image", { image: " " }, /invalid image = " "/],
    ["an ECS_ variable", { environment: { ECS_AGENT_URI: "x" } }, /invalid environment = "ECS_AGENT_URI"/],
    ["a 49-character name", { name: "w".repeat(49) }, /invalid name/],
    ["a scale-in cooldown of 3601 s", { scaleInCooldownSeconds: 3601 }, /invalid scaleInCooldownSeconds = 3601/],
    ["a negative scale-out cooldown", { scaleOutCooldownSeconds: -1 }, /invalid scaleOutCooldownSeconds = -1/],
    ["a 2-day log retention", { logRetentionDays: 2 }, /invalid logRetentionDays = 2/],
  ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
    expect(() => service(overrides as Partial<AsyncQueueWorkerServiceProps>)).toThrow(message);
  });
});
