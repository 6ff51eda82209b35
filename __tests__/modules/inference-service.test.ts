import { Construct } from "constructs";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { FargateCapacityProvider, InferenceCluster } from "../../modules/inference-cluster";
import { InferenceLoadBalancer, LoadBalancerScheme } from "../../modules/inference-load-balancer";
import { FireLensConfigType, InferenceService, InferenceServiceProps, ModelVolumeProps } from "../../modules/inference-service";
import { ModelFileSystem } from "../../modules/model-file-system";
import { VpcEndpoints } from "../../modules/vpc-endpoints";
import { resources, single, synth } from "../support/synth";
import { statements, warningsOf } from "../support/async";

const IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/infer:1.0";
const ROUTER_IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/log-router:1.0";

interface Options {
  endpoints?: readonly string[];
  /** Mount a ModelFileSystem built in the stack, with these volume props. */
  models?: Omit<ModelVolumeProps, "fileSystem">;
}

function service(overrides: Partial<InferenceServiceProps> = {}, options: Options = {}) {
  let built: InferenceService | undefined;
  const result = synth((scope: Construct) => {
    const cluster = new InferenceCluster(scope, "Cluster", { name: "infer" });
    const loadBalancer = new InferenceLoadBalancer(scope, "LoadBalancer", { name: "infer", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], scheme: LoadBalancerScheme.INTERNAL });
    const endpoints = options.endpoints ? new VpcEndpoints(scope, "Endpoints", { name: "infer", vpcId: "vpc-1", subnetIds: ["subnet-a"], services: options.endpoints }) : undefined;
    const fileSystem = options.models ? new ModelFileSystem(scope, "Models", { name: "infer-models", vpcId: "vpc-1", mountTargets: { "ap-northeast-1a": "subnet-a" } }) : undefined;
    built = new InferenceService(scope, "Service", {
      name: "infer",
      cluster,
      image: IMAGE,
      vpcId: "vpc-1",
      subnetIds: ["subnet-a", "subnet-b"],
      loadBalancer,
      endpoints,
      models: fileSystem ? { fileSystem, ...options.models } : undefined,
      ...overrides,
    });
  });
  return { ...result, service: built as InferenceService };
}

function containers(json: ReturnType<typeof service>["json"]): string {
  return single(json, "aws_ecs_task_definition").container_definitions as string;
}

describe("InferenceService", () => {
  describe("GIVEN defaults", () => {
    const { text, json, service: built } = service();

    test("WHEN synthesized THEN a Fargate service in private subnets behind its own IP target group, circuit breaker with rollback, desired count left to scaling", () => {
      expect(text).toHaveResourceWithProperties(EcsService, {
        name: "infer",
        capacity_provider_strategy: [{ capacity_provider: "FARGATE", weight: 1, base: 0 }],
        platform_version: "LATEST",
        desired_count: 2,
        network_configuration: { subnets: ["subnet-a", "subnet-b"], assign_public_ip: false, security_groups: [expect.stringMatching(/aws_security_group\.Service_SecurityGroup/)] },
        load_balancer: [{ container_name: "app", container_port: 8080, target_group_arn: expect.stringMatching(/aws_lb_target_group\.Service_TargetGroup/) }],
        health_check_grace_period_seconds: 180,
        deployment_circuit_breaker: { enable: true, rollback: true },
        deployment_minimum_healthy_percent: 100,
        deployment_maximum_percent: 200,
        enable_execute_command: false,
        lifecycle: { ignore_changes: ["desired_count"] },
      });
      const ecsService = single(json, "aws_ecs_service");
      expect(ecsService.launch_type).toBeUndefined();
      expect(ecsService.alarms).toBeUndefined();
      // The listener rule must exist first (ECS refuses a target group no listener uses), and the cluster's providers too.
      expect(ecsService.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_lb_listener_rule\.Service_ListenerRule/), expect.stringMatching(/^aws_ecs_cluster_capacity_providers\.Cluster_CapacityProviders/)]));
      expect(built.onFargate).toBe(true);
    });

    test("WHEN synthesized THEN the target group registers IPs on the container port and checks the readiness path, and the ALB listener forwards to it", () => {
      expect(text).toHaveResourceWithProperties(LbTargetGroup, {
        name_prefix: "infer",
        target_type: "ip",
        port: 8080,
        health_check: expect.objectContaining({ path: "/ready", matcher: "200" }),
        lifecycle: { create_before_destroy: true },
      });
      expect(text).toHaveResourceWithProperties(LbListenerRule, {
        priority: 100,
        condition: [{ path_pattern: { values: ["/*"] } }],
        action: [{ type: "forward", target_group_arn: expect.stringMatching(/Service_TargetGroup/) }],
      });
    });

    test("WHEN synthesized THEN the tasks admit the container port from the ALB's security group only", () => {
      const ingress = Object.values(resources(json, "aws_vpc_security_group_ingress_rule")).filter((r) => String(r.security_group_id).includes("Service_SecurityGroup"));
      expect(ingress).toEqual([expect.objectContaining({ from_port: 8080, to_port: 8080, referenced_security_group_id: expect.stringMatching(/LoadBalancer_SecurityGroup/) })]);
      expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { from_port: 8080, referenced_security_group_id: expect.stringMatching(/LoadBalancer_SecurityGroup/) });
    });

    test("WHEN synthesized THEN the app container is written with ECS's defaults, awslogs and the curl readiness health check", () => {
      expect(text).toHaveResourceWithProperties(EcsTaskDefinition, { family: "infer", requires_compatibilities: ["FARGATE"], network_mode: "awsvpc", cpu: "1024", memory: "2048" });
      const definitions = containers(json);
      for (const fragment of [
        '"cpu" = 0',
        '"environment" = []',
        '"environmentFiles" = []',
        '"mountPoints" = []',
        '"volumesFrom" = []',
        '"systemControls" = []',
        '"containerPort" = 8080, "hostPort" = 8080, "protocol" = "tcp"',
        '"command" = ["CMD-SHELL", "curl -fsS http://localhost:8080/ready || exit 1"], "interval" = 30, "timeout" = 5, "retries" = 3, "startPeriod" = 120',
        '"logDriver" = "awslogs"',
      ]) {
        expect(definitions).toContain(fragment);
      }
      expect(definitions).not.toContain("linuxParameters");
    });

    test("WHEN synthesized THEN target tracking holds 100 requests per task and 60 % CPU", () => {
      expect(text).toHaveResourceWithProperties(AppautoscalingPolicy, {
        name: "infer-requests-per-task",
        target_tracking_scaling_policy_configuration: expect.objectContaining({
          target_value: 100,
          predefined_metric_specification: { predefined_metric_type: "ALBRequestCountPerTarget", resource_label: expect.stringContaining("Service_TargetGroup") },
        }),
      });
      expect(text).toHaveResourceWithProperties(AppautoscalingPolicy, {
        name: "infer-cpu",
        target_tracking_scaling_policy_configuration: expect.objectContaining({ target_value: 60, predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" } }),
      });
    });
  });

  test("GIVEN ECS Exec with session logging and endpoints with ssmmessages WHEN synthesized THEN exec is on, the task role has the four channel actions and the log group, the container an init process", () => {
    // WHEN
    const { text, json, service: built } = service(
      { executeCommand: { sessionLogGroupArn: "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/ecs/infer/exec" } },
      { endpoints: ["ssmmessages", "logs"] },
    );

    // THEN
    expect(text).toHaveResourceWithProperties(EcsService, { enable_execute_command: true });
    const granted = statements(json, "Service_GrantsPolicyDocument");
    expect(granted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actions: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], resources: ["*"] }),
        expect.objectContaining({ resources: ["arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/ecs/infer/exec:*"] }),
      ]),
    );
    expect(containers(json)).toContain('"linuxParameters" = {"initProcessEnabled" = true}');
    expect(warningsOf(built)).toEqual([]);
  });

  test("GIVEN ECS Exec without endpoints WHEN synthesized THEN it warns that private subnets need the ssmmessages endpoint", () => {
    const { service: built } = service({ executeCommand: {} });
    expect(warningsOf(built)).toEqual([expect.stringContaining('"ssmmessages" endpoint')]);
  });

  test("GIVEN models on EFS WHEN synthesized THEN the volume uses IAM and TLS through the access point, mounts read-only, NFS is admitted from the tasks and the task role may only ClientMount", () => {
    // WHEN
    const { text, json } = service({}, { models: {} });

    // THEN
    expect(text).toHaveResourceWithProperties(EcsTaskDefinition, {
      volume: [
        {
          name: "models",
          efs_volume_configuration: {
            file_system_id: expect.stringMatching(/aws_efs_file_system\.Models_FileSystem/),
            root_directory: "/",
            transit_encryption: "ENABLED",
            authorization_config: { access_point_id: expect.stringMatching(/aws_efs_access_point\.Models_AccessPoint/), iam: "ENABLED" },
          },
        },
      ],
    });
    expect(containers(json)).toContain('"mountPoints" = [{"sourceVolume" = "models", "containerPath" = "/models", "readOnly" = true}]');
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { from_port: 2049, to_port: 2049, security_group_id: expect.stringMatching(/Models_SecurityGroup/), referenced_security_group_id: expect.stringMatching(/Service_SecurityGroup/) });
    const mount = statements(json, "Service_GrantsPolicyDocument").find((s) => String(s.actions).includes("elasticfilesystem"));
    expect(mount).toMatchObject({ actions: ["elasticfilesystem:ClientMount"], resources: [expect.stringContaining("Models_FileSystem")], condition: [expect.objectContaining({ variable: "elasticfilesystem:AccessPointArn" })] });
    expect(single(json, "aws_ecs_service").depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_efs_mount_target\.Models_MountTarget-ap-northeast-1a/)]));
  });

  test("GIVEN models mounted without IAM authorization WHEN synthesized THEN the task role gets no mount grant and it warns that the file system's policy refuses anonymous mounts", () => {
    const { json, service: built } = service({}, { models: { iamAuthorization: false } });
    expect(single(json, "aws_ecs_task_definition").volume).toEqual([expect.objectContaining({ efs_volume_configuration: expect.objectContaining({ authorization_config: expect.objectContaining({ iam: "DISABLED" }) }) })]);
    expect(JSON.stringify(statements(json, "Service_GrantsPolicyDocument"))).not.toContain("elasticfilesystem");
    expect(warningsOf(built)).toEqual([expect.stringContaining("without IAM authorization")]);
  });

  test("GIVEN FireLens with a CloudWatch group and an S3 bucket WHEN synthesized THEN a router sidecar reads its file config, the app logs through awsfirelens and the task role may write both", () => {
    // WHEN
    const { json } = service({
      fireLens: {
        configFile: "/fluent-bit/etc/extra.conf",
        routerImage: ROUTER_IMAGE,
        environment: { ERROR_LOG_GROUP: "/infer/errors" },
        cloudWatchLogGroupArns: ["arn:aws:logs:ap-northeast-1:123456789012:log-group:/infer/errors"],
        s3BucketArns: ["arn:aws:s3:::infer-logs"],
      },
    });

    // THEN
    const definitions = containers(json);
    expect(definitions).toContain('"logDriver" = "awsfirelens"');
    expect(definitions).toContain('"firelensConfiguration" = {"type" = "fluentbit", "options" = {"config-file-type" = "file", "config-file-value" = "/fluent-bit/etc/extra.conf", "enable-ecs-log-metadata" = "true"}}');
    expect(definitions).toContain('"dependsOn" = [{"containerName" = "log-router", "condition" = "START"}]');
    expect(definitions).toContain('"awslogs-stream-prefix" = "log-router"');
    expect(definitions).toContain('"environment" = [{"name" = "ERROR_LOG_GROUP", "value" = "/infer/errors"}]');
    expect(statements(json, "Service_GrantsPolicyDocument")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: ["arn:aws:logs:ap-northeast-1:123456789012:log-group:/infer/errors:log-stream:*"] }),
        expect.objectContaining({ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::infer-logs/*"] }),
      ]),
    );
  });

  test("GIVEN FARGATE_SPOT with a FARGATE base, deployment alarms and a schedule WHEN synthesized THEN the strategy, alarms and scheduled action are written", () => {
    const { text } = service({
      capacityProviderStrategy: [
        { capacityProvider: FargateCapacityProvider.FARGATE, base: 1, weight: 1 },
        { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 3 },
      ],
      deploymentAlarmNames: ["infer-5xx"],
      scheduledCapacity: [{ name: "business-hours", schedule: "cron(0 8 ? * MON-FRI *)", timeZone: "Asia/Tokyo", minTasks: 4 }],
    });
    expect(text).toHaveResourceWithProperties(EcsService, {
      capacity_provider_strategy: [
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", base: 0, weight: 3 },
      ],
      alarms: { alarm_names: ["infer-5xx"], enable: true, rollback: true },
    });
    expect(text).toHaveResourceWithProperties(AppautoscalingScheduledAction, { name: "infer-business-hours", schedule: "cron(0 8 ? * MON-FRI *)", timezone: "Asia/Tokyo", scalable_target_action: { min_capacity: "4" } });
  });

  test("GIVEN the cluster's EC2 capacity provider and an S3 FireLens config WHEN synthesized THEN an EC2 task definition of any size, no platform version, and the execution role may read the config", () => {
    // WHEN
    const { text, json } = synth((scope: Construct) => {
      const cluster = new InferenceCluster(scope, "Cluster", { name: "infer" });
      cluster.addCapacityProvider({ capacityProviderName: "infer-fleet" });
      const loadBalancer = new InferenceLoadBalancer(scope, "LoadBalancer", { name: "infer", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], scheme: LoadBalancerScheme.INTERNAL });
      new InferenceService(scope, "Service", {
        name: "infer",
        cluster,
        image: IMAGE,
        vpcId: "vpc-1",
        subnetIds: ["subnet-a"],
        loadBalancer,
        capacityProviderStrategy: [{ capacityProvider: "infer-fleet" }],
        vcpus: 3,
        memoryMiB: 6000,
        fireLens: { configFile: "arn:aws:s3:::infer-config/fluent-bit/extra.conf", configType: FireLensConfigType.S3 },
      });
    });

    // THEN
    expect(text).toHaveResourceWithProperties(EcsTaskDefinition, { requires_compatibilities: ["EC2"], cpu: "3072", memory: "6000" });
    expect(single(json, "aws_ecs_service").platform_version).toBeUndefined();
    expect(statements(json, "Service_FireLensConfigPolicyDocument")).toEqual([
      expect.objectContaining({ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::infer-config/fluent-bit/extra.conf"] }),
      expect.objectContaining({ actions: ["s3:GetBucketLocation"], resources: ["arn:aws:s3:::infer-config"] }),
    ]);
  });

  test.each<[string, Partial<InferenceServiceProps>, Options, RegExp]>([
    ["a name too long", { name: "a".repeat(33) }, {}, /invalid name/],
    ["an empty image", { image: " " }, {}, /invalid image/],
    ["no subnets", { subnetIds: [] }, {}, /invalid subnetIds/],
    ["a bad container port", { containerPort: 70000 }, {}, /invalid containerPort/],
    ["a relative readiness path", { readinessPath: "ready" }, {}, /invalid readinessPath/],
    ["a listener priority of 0", { listenerRulePriority: 0 }, {}, /invalid listenerRulePriority/],
    ["no path patterns", { pathPatterns: [] }, {}, /invalid pathPatterns/],
    ["a grace period above 7200", { healthCheckGracePeriodSeconds: 7201 }, {}, /invalid healthCheckGracePeriodSeconds/],
    ["a deregistration delay above 3600", { deregistrationDelaySeconds: 3601 }, {}, /invalid deregistrationDelaySeconds/],
    ["a health check command without CMD", { containerHealthCheck: { command: ["curl", "-f", "localhost"] } }, {}, /invalid containerHealthCheck\.command/],
    ["a health check interval of 1", { containerHealthCheck: { intervalSeconds: 1 } }, {}, /invalid containerHealthCheck\.intervalSeconds/],
    ["a health check timeout of 61", { containerHealthCheck: { timeoutSeconds: 61 } }, {}, /invalid containerHealthCheck\.timeoutSeconds/],
    ["0 health check retries", { containerHealthCheck: { retries: 0 } }, {}, /invalid containerHealthCheck\.retries/],
    ["a start period of 301", { containerHealthCheck: { startPeriodSeconds: 301 } }, {}, /invalid containerHealthCheck\.startPeriodSeconds/],
    ["an empty strategy", { capacityProviderStrategy: [] }, {}, /invalid capacityProviderStrategy.*at least one capacity provider/],
    ["Fargate mixed with EC2", { capacityProviderStrategy: [{ capacityProvider: "FARGATE" }, { capacityProvider: "infer-fleet" }] }, {}, /invalid capacityProviderStrategy.*not both/],
    ["a provider the cluster lacks", { capacityProviderStrategy: [{ capacityProvider: "infer-fleet" }] }, {}, /invalid capacityProviderStrategy = "infer-fleet".*FARGATE, FARGATE_SPOT/],
    ["32 vCPU on Fargate (Batch only)", { vcpus: 32, memoryMiB: 61440 }, {}, /invalid vcpus = 32.*at most 16 on ECS Fargate/],
    ["a memory Fargate lacks", { vcpus: 1, memoryMiB: 1024 }, {}, /invalid memoryMiB/],
    ["maxTasks 0", { maxTasks: 0 }, {}, /invalid maxTasks/],
    ["minTasks above maxTasks", { minTasks: 5, maxTasks: 4 }, {}, /invalid minTasks/],
    ["a request target of 0", { targetRequestsPerTask: 0 }, {}, /invalid targetRequestsPerTask/],
    ["a CPU target of 95", { targetCpuUtilizationPercent: 95 }, {}, /invalid targetCpuUtilizationPercent/],
    ["a schedule name with spaces", { scheduledCapacity: [{ name: "business hours", schedule: "cron(0 8 * * ? *)", minTasks: 2 }] }, {}, /invalid scheduledCapacity\.name/],
    ["two schedules with one name", { scheduledCapacity: [{ name: "a", schedule: "cron(0 8 * * ? *)", minTasks: 2 }, { name: "a", schedule: "cron(0 20 * * ? *)", minTasks: 1 }] }, {}, /invalid scheduledCapacity\.name = "a"/],
    ["a bad cron", { scheduledCapacity: [{ name: "a", schedule: "cron(0 25 * * ? *)", minTasks: 2 }] }, {}, /invalid scheduledCapacity\[a\]\.schedule/],
    ["a bad time zone", { scheduledCapacity: [{ name: "a", schedule: "cron(0 8 * * ? *)", timeZone: "Tokyo", minTasks: 2 }] }, {}, /invalid scheduledCapacity\[a\]\.timeZone/],
    ["a schedule that changes nothing", { scheduledCapacity: [{ name: "a", schedule: "cron(0 8 * * ? *)" }] }, {}, /invalid scheduledCapacity\[a\] /],
    ["a schedule with maxTasks above 1000", { scheduledCapacity: [{ name: "a", schedule: "cron(0 8 * * ? *)", maxTasks: 1001 }] }, {}, /invalid scheduledCapacity\[a\]\.maxTasks/],
    ["a schedule with minTasks above its maxTasks", { scheduledCapacity: [{ name: "a", schedule: "cron(0 8 * * ? *)", minTasks: 5, maxTasks: 4 }] }, {}, /invalid scheduledCapacity\[a\]\.minTasks/],
    ["minHealthyPercent 101", { minHealthyPercent: 101 }, {}, /invalid minHealthyPercent/],
    ["maxHealthyPercent 250", { maxHealthyPercent: 250 }, {}, /invalid maxHealthyPercent = 250/],
    ["max equal to min healthy percent", { minHealthyPercent: 100, maxHealthyPercent: 100 }, {}, /invalid maxHealthyPercent = 100.*neither stop an old task/],
    ["an empty alarm list", { deploymentAlarmNames: [] }, {}, /invalid deploymentAlarmNames/],
    ["a log retention of 10 days", { logRetentionDays: 10 }, {}, /invalid logRetentionDays/],
    ["an ECS_ variable", { environment: { ECS_ENABLE_CONTAINER_METADATA: "true" } }, {}, /invalid environment = "ECS_ENABLE_CONTAINER_METADATA"/],
    ["a router variable with a dash", { fireLens: { configFile: "/fluent-bit/etc/extra.conf", environment: { "LOG-GROUP": "x" } } }, {}, /invalid fireLens\.environment = "LOG-GROUP"/],
    ["an exec key that is not a key ARN", { executeCommand: { kmsKeyArn: "alias/exec" } }, {}, /invalid executeCommand\.kmsKeyArn/],
    ["exec with endpoints lacking ssmmessages", { executeCommand: {} }, { endpoints: ["logs"] }, /invalid endpoints = \["logs"\].*ssmmessages/],
    ["models without transit encryption", {}, { models: { transitEncryption: false } }, /invalid models\.transitEncryption = false/],
    ["a models root directory with an access point", {}, { models: { rootDirectory: "/models" } }, /invalid models\.rootDirectory = "\/models"/],
    ["a relative models container path", {}, { models: { containerPath: "models" } }, /invalid models\.containerPath/],
    ["FireLens S3 config on Fargate", { fireLens: { configFile: "arn:aws:s3:::cfg/extra.conf", configType: FireLensConfigType.S3 } }, {}, /invalid fireLens\.configType = "s3".*Fargate/],
    ["a relative FireLens config path", { fireLens: { configFile: "extra.conf" } }, {}, /invalid fireLens\.configFile/],
    ["a FireLens reservation of 8 MiB", { fireLens: { configFile: "/fluent-bit/etc/extra.conf", memoryReservationMiB: 8 } }, {}, /invalid fireLens\.memoryReservationMiB/],
  ])("GIVEN %s WHEN synthesized THEN it is refused", (_name, overrides, options, error) => {
    expect(() => service(overrides, options)).toThrow(error);
  });
});
