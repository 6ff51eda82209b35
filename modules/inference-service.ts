import { Construct } from "constructs";
import { Annotations, Fn, ITerraformDependable } from "cdktf";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition, EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { CpuArchitecture } from "./batch-job-definition";
import { Connections, IConnectable, Port } from "./connections";
import { IGrantable, PolicyStatement, RoleGrants } from "./grants";
import { CapacityProviderStrategyItem, FargateCapacityProvider, IInferenceCluster } from "./inference-cluster";
import { IModelFileSystem } from "./model-file-system";
import { FARGATE_PROVIDERS, validateStrategy as validateStrategyShape } from "./internal/capacity-provider-strategy";
import { ContainerHealthCheck, ContainerSpec, containerDefinition } from "./internal/container-definition";
import { ecsExecutionRole } from "./internal/ecs-execution-role";
import { requireFargateSize } from "./internal/fargate-resources";
import { FireLensConfigType, LOG_ROUTER_CONTAINER, fireLensRouter, grantFireLensOutputs, validateFireLens } from "./internal/firelens";
import { assumeRolePolicy, policyDocument } from "./internal/policies";
import { requireScheduleExpression, requireTimeZone } from "./internal/schedule-expression";
import { KMS_KEY, PropValidationError, isUnresolved, requireArn, requireIntegerInRange, requireLogRetentionDays, requireNonEmpty, requirePort, requireResourceName } from "./internal/validation";
import { jsonencode } from "./internal/jsonencode";

export { FireLensConfigType } from "./internal/firelens";

/** The load balancer in front of the service: its security group, ARN and the listener to add a rule to. */
export interface ServiceLoadBalancer extends IConnectable {
  /** ARN of the ALB. */
  readonly loadBalancerArn: string;
  /** ARN of the listener that gets the forwarding rule (HTTPS when the ALB has a certificate). */
  readonly listenerArn: string;
}

/** Interface endpoints of the AWS APIs the tasks call (`VpcEndpoints` is one). */
export interface ServiceEndpoints extends IConnectable {
  /** Endpoint ids by service name ("ssmmessages", "logs", "ecr.api", ...). */
  readonly endpointIds: Readonly<Record<string, string>>;
}

/** The app container's own health check (Docker HEALTHCHECK semantics, run by the ECS agent). */
export interface ContainerHealthCheckProps {
  /** Command, ["CMD-SHELL", "..."] or ["CMD", ...]. @default - ["CMD-SHELL", "curl -fsS http://localhost:<containerPort><readinessPath> || exit 1"] (the image needs curl) */
  readonly command?: readonly string[];
  /** Seconds between checks, 5 to 300. @default 30 */
  readonly intervalSeconds?: number;
  /** Seconds before a check fails, 2 to 60. @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before the container is unhealthy, 1 to 10. @default 3 */
  readonly retries?: number;
  /** Seconds after start during which failures do not count (model loading), 0 to 300. @default 120 */
  readonly startPeriodSeconds?: number;
}

/** ECS Exec (`aws ecs execute-command`) into the service's containers. */
export interface ExecuteCommandProps {
  /** Log group the cluster's exec configuration writes session logs to; the task role may write it. @default - no session logging grant */
  readonly sessionLogGroupArn?: string;
  /** KMS key the cluster's exec configuration encrypts sessions with; the task role may decrypt with it. @default - none */
  readonly kmsKeyArn?: string;
}

/** Models read from EFS, mounted read-only into the app container. */
export interface ModelVolumeProps {
  /** The file system (`ModelFileSystem`, or any IModelFileSystem). */
  readonly fileSystem: IModelFileSystem;
  /** Where the app container sees the models. @default "/models" */
  readonly containerPath?: string;
  /** Directory of the file system to mount; must be "/" with an access point (the access point sets the root). @default "/" */
  readonly rootDirectory?: string;
  /** Encrypt NFS traffic with TLS; required with IAM authorization or an access point. @default true */
  readonly transitEncryption?: boolean;
  /** Mount with the task role's identity (the file-system policy allows only granted roles). @default true */
  readonly iamAuthorization?: boolean;
}

/** A Fluent Bit log router in the task; the app container logs through it. */
export interface FireLensProps {
  /** Path of the Fluent Bit configuration inside the router image (or an S3 object ARN on EC2). */
  readonly configFile: string;
  /** Where the configuration comes from. @default FireLensConfigType.FILE */
  readonly configType?: FireLensConfigType;
  /** Router image (usually yours, FROM the AWS image with the configuration copied in). @default "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1" */
  readonly routerImage?: string;
  /** Memory reserved for the router in MiB, 16 to 4096. @default 50 */
  readonly memoryReservationMiB?: number;
  /** Environment of the router: values the configuration reads as ${NAME} (log group, bucket, region). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** CloudWatch log groups the configuration writes to; the task role may write them. @default - none */
  readonly cloudWatchLogGroupArns?: readonly string[];
  /** S3 buckets the configuration writes to; the task role may put objects in them. @default - none */
  readonly s3BucketArns?: readonly string[];
}

/** A scheduled change of the task range (business hours, a nightly low). */
export interface ScheduledCapacityProps {
  /** Name of the action, letters, digits and hyphens; it keys the action. */
  readonly name: string;
  /** cron(...) or rate(...) expression of Application Auto Scaling. */
  readonly schedule: string;
  /** IANA time zone of the cron expression. @default "UTC" */
  readonly timeZone?: string;
  /** Fewest tasks from then on. @default - unchanged */
  readonly minTasks?: number;
  /** Most tasks from then on. @default - unchanged */
  readonly maxTasks?: number;
}

export interface InferenceServiceProps {
  /** Name of the service, task family, roles and log group, 1 to 32 letters, digits and hyphens. */
  readonly name: string;
  /** The cluster to run in. */
  readonly cluster: IInferenceCluster;
  /** Container image of the inference server. */
  readonly image: string;
  /** ECR repository the execution role may pull from. @default - derived from image when it is a literal ECR image */
  readonly ecrRepositoryArn?: string;
  /** VPC of the tasks. */
  readonly vpcId: string;
  /** Private subnets of the tasks (awsvpc, no public IP). */
  readonly subnetIds: readonly string[];
  /** The ALB; the service gets its own IP target group and a listener rule. */
  readonly loadBalancer: ServiceLoadBalancer;
  /** Priority of the listener rule, 1 to 50000 (lower wins). @default 100 */
  readonly listenerRulePriority?: number;
  /** Path patterns the rule forwards to the service. @default ["/*"] */
  readonly pathPatterns?: readonly string[];
  /** Port the server listens on in the container. @default 8080 */
  readonly containerPort?: number;
  /** Path that answers 200 only once the model is loaded; used by the ALB and the container health check. @default "/ready" */
  readonly readinessPath?: string;
  /** The app container's health check. @default - curl on the readiness path every 30 s, 120 s start period */
  readonly containerHealthCheck?: ContainerHealthCheckProps;
  /** Seconds ECS ignores ALB health checks after a task starts, 0 to 7200. @default 180 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Seconds the ALB drains a deregistering task, 0 to 3600. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** vCPUs of one task (Fargate: 0.25 to 16). @default 1 */
  readonly vcpus?: number;
  /** Memory of one task in MiB (Fargate: a value allowed for vcpus). @default 2048 */
  readonly memoryMiB?: number;
  /** CPU architecture of the image. @default CpuArchitecture.X86_64 */
  readonly cpuArchitecture?: CpuArchitecture;
  /** Environment variables of the app container. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Capacity providers and their shares. @default - [{ capacityProvider: FARGATE, weight: 1 }] */
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  /** Fewest tasks, 0 to maxTasks; also the count at creation. @default 2 */
  readonly minTasks?: number;
  /** Most tasks, 1 to 1000. @default 10 */
  readonly maxTasks?: number;
  /** ALB requests per task that target tracking holds. @default 100 */
  readonly targetRequestsPerTask?: number;
  /** Average CPU utilization (%) that target tracking holds, 10 to 90. @default 60 */
  readonly targetCpuUtilizationPercent?: number;
  /** Scheduled changes of the task range. @default - none */
  readonly scheduledCapacity?: readonly ScheduledCapacityProps[];
  /** Running tasks kept during a deployment, % of the desired count, 0 to 100. @default 100 */
  readonly minHealthyPercent?: number;
  /** Tasks allowed during a deployment, % of the desired count, 100 to 200. @default 200 */
  readonly maxHealthyPercent?: number;
  /** Roll back a deployment the circuit breaker stops. @default true */
  readonly circuitBreakerRollback?: boolean;
  /** CloudWatch alarms that fail (and roll back) a deployment while in ALARM. @default - none */
  readonly deploymentAlarmNames?: readonly string[];
  /** ECS Exec into the containers. @default - off */
  readonly executeCommand?: ExecuteCommandProps;
  /** Interface endpoints the tasks reach AWS through (HTTPS allowed on both sides). @default - none: the tasks reach AWS through NAT */
  readonly endpoints?: ServiceEndpoints;
  /** Models on EFS, mounted read-only. @default - no volume */
  readonly models?: ModelVolumeProps;
  /** A FireLens log router; the app container logs through it. @default - the app logs to CloudWatch with awslogs */
  readonly fireLens?: FireLensProps;
  /** Days the service's log group keeps the app's (or router's) logs. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const APP_CONTAINER = "app";
const MODELS_VOLUME = "models";

/**
 * An inference server behind the ALB as an ECS service: awsvpc tasks in private subnets admitting
 * only the ALB, registered by IP in their own target group, a deployment circuit breaker that rolls
 * back, `desired_count` left to Application Auto Scaling (requests per task and CPU, plus
 * schedules), optional models on EFS, FireLens and ECS Exec. The container definitions carry every
 * field ECS fills in, so an unchanged service plans no change.
 */
export class InferenceService extends Construct implements IConnectable, IGrantable {
  /** Name of the ECS service. */
  public readonly serviceName: string;
  /** ARN of the ECS service (the `resources` of its EventBridge events). */
  public readonly serviceArn: string;
  /** ARN of the cluster. */
  public readonly clusterArn: string;
  /** ARN of the task definition revision. */
  public readonly taskDefinitionArn: string;
  /** Name of the task role. */
  public readonly taskRoleName: string;
  /** ARN of the task role. */
  public readonly taskRoleArn: string;
  /** ARN of the execution role. */
  public readonly executionRoleArn: string;
  /** Name of the log group of the app (or of the router with FireLens). */
  public readonly logGroupName: string;
  /** ARN of the service's IP target group. */
  public readonly targetGroupArn: string;
  /** Security group of the tasks. */
  public readonly securityGroupId: string;
  /** The tasks' security group side. */
  public readonly connections: Connections;
  /** Whether every capacity provider of the strategy is a Fargate one. */
  public readonly onFargate: boolean;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    const strategy = props.capacityProviderStrategy ?? [{ capacityProvider: FargateCapacityProvider.FARGATE, weight: 1 }];
    this.onFargate = strategy.every((item) => FARGATE_PROVIDERS.includes(item.capacityProvider));
    validateServiceProps(this, props, strategy, this.onFargate);
    const tags = props.tags ?? {};
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;
    const port = props.containerPort ?? 8080;
    this.serviceName = props.name;
    this.clusterArn = props.cluster.clusterArn;

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-`,
      description: `Inference service ${props.name}: its port from the ALB only`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    this.connections.allowFrom(props.loadBalancer, Port.tcp(port), `ALB to the ${props.name} tasks`);
    // ECR layers come from S3 through the gateway endpoint, which a security group names only by prefix list.
    this.connections.allowToCidr("0.0.0.0/0", Port.tcp(443), "AWS APIs, ECR and S3 over HTTPS");
    if (props.endpoints) this.connections.allowTo(props.endpoints, Port.tcp(443), `Inference service ${props.name}: AWS APIs through the interface endpoints`);

    const logGroup = new CloudwatchLogGroup(this, "LogGroup", { name: `/ecs/${props.name}`, retentionInDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    const taskRole = new IamRole(this, "TaskRole", {
      name: `${props.name}-task`,
      description: `Inference service ${props.name}: what the server itself may call`,
      assumeRolePolicy: assumeRolePolicy(this, "TaskTrustPolicy", "ecs-tasks.amazonaws.com"),
      tags,
    });
    this.taskRoleName = taskRole.name;
    this.taskRoleArn = taskRole.arn;
    this.grants = new RoleGrants(this, taskRole.name);
    const execution = ecsExecutionRole(this, { name: props.name, description: `ECS for the inference service ${props.name}: pull its images, write its log group`, image: props.image, ecrRepositoryArn: props.ecrRepositoryArn, logGroupArn: logGroup.arn, partition, tags });
    this.executionRoleArn = execution.role.arn;
    const dependencies: ITerraformDependable[] = [execution.policy, ...capacityProviderAssociation(props.cluster)];
    if (props.executeCommand) this.grantExecuteCommand(props.executeCommand);
    if (props.fireLens) {
      grantFireLensOutputs(this, props.fireLens);
      const s3Config = this.fireLensS3ConfigPolicy(props.fireLens, execution.role.name);
      if (s3Config) dependencies.push(s3Config);
    }
    if (props.models) {
      props.models.fileSystem.connections.allowFrom(this, Port.tcp(2049), `Inference service ${props.name}: NFS to the model file system`);
      if (props.models.iamAuthorization ?? true) props.models.fileSystem.grantReadOnlyMount(this, taskRole.arn);
      dependencies.push(...props.models.fileSystem.mountDependables);
    }

    const taskDefinition = new EcsTaskDefinition(this, "TaskDefinition", {
      family: props.name,
      requiresCompatibilities: [this.onFargate ? "FARGATE" : "EC2"],
      networkMode: "awsvpc",
      cpu: String(Math.round((props.vcpus ?? 1) * 1024)),
      memory: String(props.memoryMiB ?? 2048),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? CpuArchitecture.X86_64 },
      taskRoleArn: taskRole.arn,
      executionRoleArn: execution.role.arn,
      containerDefinitions: jsonencode(this.containers(props, logGroup.name, region).map(containerDefinition)),
      volume: props.models ? [modelsVolume(props.models)] : undefined,
      tags,
    });
    this.taskDefinitionArn = taskDefinition.arn;

    const targetGroup = new LbTargetGroup(this, "TargetGroup", {
      namePrefix: targetGroupNamePrefix(props.name),
      vpcId: props.vpcId,
      port,
      protocol: "HTTP",
      // awsvpc tasks have their own ENI: the ALB sends to the task's IP, not to an instance port.
      targetType: "ip",
      deregistrationDelay: String(props.deregistrationDelaySeconds ?? 30),
      loadBalancingAlgorithmType: "least_outstanding_requests",
      healthCheck: { enabled: true, path: props.readinessPath ?? "/ready", protocol: "HTTP", port: "traffic-port", matcher: "200", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      tags: { ...tags, Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });
    this.targetGroupArn = targetGroup.arn;
    // The ALB's own target group registers instances; this rule sends the service's paths to the IP
    // target group instead, so the ALB construct stays as it is.
    const rule = new LbListenerRule(this, "ListenerRule", {
      listenerArn: props.loadBalancer.listenerArn,
      priority: props.listenerRulePriority ?? 100,
      action: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      condition: [{ pathPattern: { values: [...(props.pathPatterns ?? ["/*"])] } }],
      tags,
    });

    const minTasks = props.minTasks ?? 2;
    const service = new EcsService(this, "Service", {
      name: props.name,
      cluster: props.cluster.clusterArn,
      taskDefinition: taskDefinition.arn,
      capacityProviderStrategy: strategy.map((item) => ({ capacityProvider: item.capacityProvider, weight: item.weight ?? 1, base: item.base ?? 0 })),
      platformVersion: this.onFargate ? "LATEST" : undefined,
      desiredCount: minTasks,
      networkConfiguration: { subnets: [...props.subnetIds], securityGroups: [securityGroup.id], assignPublicIp: false },
      loadBalancer: [{ targetGroupArn: targetGroup.arn, containerName: APP_CONTAINER, containerPort: port }],
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 180,
      deploymentCircuitBreaker: { enable: true, rollback: props.circuitBreakerRollback ?? true },
      alarms: props.deploymentAlarmNames ? { alarmNames: [...props.deploymentAlarmNames], enable: true, rollback: props.circuitBreakerRollback ?? true } : undefined,
      deploymentMinimumHealthyPercent: props.minHealthyPercent ?? 100,
      deploymentMaximumPercent: props.maxHealthyPercent ?? 200,
      enableExecuteCommand: props.executeCommand !== undefined,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      tags,
      // Application Auto Scaling owns the task count once the service exists.
      lifecycle: { ignoreChanges: ["desired_count"] },
      // ECS refuses a target group that no listener uses yet; roles and mounts must work before the first task starts.
      dependsOn: [rule, ...dependencies, ...(this.grants.resource ? [this.grants.resource] : [])],
    });
    this.serviceArn = service.id;
    this.autoScaling(props, `service/${props.cluster.clusterName}/${service.name}`, `${loadBalancerArnSuffix(props.loadBalancer.loadBalancerArn)}/${targetGroup.arnSuffix}`, tags);
    this.warnAboutRiskyChoices(props);
  }

  /** Adds a statement to the task role (a model bucket, an API the server calls). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }

  private containers(props: InferenceServiceProps, logGroupName: string, region: string): ContainerSpec[] {
    const port = props.containerPort ?? 8080;
    const check = props.containerHealthCheck ?? {};
    const healthCheck: ContainerHealthCheck = {
      command: check.command ?? ["CMD-SHELL", `curl -fsS http://localhost:${port}${props.readinessPath ?? "/ready"} || exit 1`],
      intervalSeconds: check.intervalSeconds ?? 30,
      timeoutSeconds: check.timeoutSeconds ?? 5,
      retries: check.retries ?? 3,
      startPeriodSeconds: check.startPeriodSeconds ?? 120,
    };
    const app: ContainerSpec = {
      name: APP_CONTAINER,
      image: props.image,
      essential: true,
      ports: [port],
      environment: props.environment ?? {},
      mounts: props.models ? [{ sourceVolume: MODELS_VOLUME, containerPath: props.models.containerPath ?? "/models", readOnly: true }] : [],
      healthCheck,
      // An init process reaps the shells ECS Exec starts in the container.
      initProcessEnabled: props.executeCommand !== undefined,
      logging: props.fireLens
        ? { logDriver: "awsfirelens", options: {} }
        : { logDriver: "awslogs", options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": APP_CONTAINER } },
      dependsOn: props.fireLens ? [{ containerName: LOG_ROUTER_CONTAINER, condition: "START" }] : undefined,
    };
    return props.fireLens ? [app, fireLensRouter(props.fireLens, logGroupName, region)] : [app];
  }

  /** ECS Exec: the SSM message channels (no resource-level permissions exist for them), session logs, session key. */
  private grantExecuteCommand(exec: ExecuteCommandProps): void {
    this.addToRolePolicy({
      sid: "EcsExecChannels",
      actions: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
      resources: ["*"],
    });
    if (exec.sessionLogGroupArn !== undefined) {
      this.addToRolePolicy({ sid: "EcsExecSessionLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], resources: [`${exec.sessionLogGroupArn}:*`] });
      // The agent checks the group exists before it logs; DescribeLogGroups has no resource-level permission.
      this.addToRolePolicy({ sid: "EcsExecFindLogGroup", actions: ["logs:DescribeLogGroups"], resources: ["*"] });
    }
    if (exec.kmsKeyArn !== undefined) this.addToRolePolicy({ sid: "EcsExecSessionKey", actions: ["kms:Decrypt"], resources: [exec.kmsKeyArn] });
  }

  /** On EC2 the agent fetches an S3 FireLens configuration with the execution role. */
  private fireLensS3ConfigPolicy(fireLens: FireLensProps, executionRoleName: string): IamRolePolicy | undefined {
    if ((fireLens.configType ?? FireLensConfigType.FILE) !== FireLensConfigType.S3) return undefined;
    const bucket = fireLens.configFile.replace(/\/.*$/, "");
    return new IamRolePolicy(this, "FireLensConfigPolicy", {
      name: "firelens-config",
      role: executionRoleName,
      policy: policyDocument(this, "FireLensConfigPolicyDocument", [
        { sid: "ReadFireLensConfig", effect: "Allow", actions: ["s3:GetObject"], resources: [fireLens.configFile] },
        { sid: "LocateConfigBucket", effect: "Allow", actions: ["s3:GetBucketLocation"], resources: [bucket] },
      ]),
    });
  }

  private autoScaling(props: InferenceServiceProps, resourceId: string, requestCountLabel: string, tags: Readonly<Record<string, string>>): void {
    const target = new AppautoscalingTarget(this, "ScalableTarget", {
      serviceNamespace: "ecs",
      resourceId,
      scalableDimension: "ecs:service:DesiredCount",
      minCapacity: props.minTasks ?? 2,
      maxCapacity: props.maxTasks ?? 10,
      tags,
    });
    const common = { serviceNamespace: target.serviceNamespace, resourceId: target.resourceId, scalableDimension: target.scalableDimension, policyType: "TargetTrackingScaling" };
    new AppautoscalingPolicy(this, "RequestsPerTaskPolicy", {
      ...common,
      name: `${props.name}-requests-per-task`,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.targetRequestsPerTask ?? 100,
        predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: requestCountLabel },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
    new AppautoscalingPolicy(this, "CpuPolicy", {
      ...common,
      name: `${props.name}-cpu`,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.targetCpuUtilizationPercent ?? 60,
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
    for (const action of props.scheduledCapacity ?? []) {
      new AppautoscalingScheduledAction(this, `Scheduled-${action.name}`, {
        name: `${props.name}-${action.name}`,
        serviceNamespace: target.serviceNamespace,
        resourceId: target.resourceId,
        scalableDimension: target.scalableDimension,
        schedule: action.schedule,
        timezone: action.timeZone ?? "UTC",
        scalableTargetAction: {
          minCapacity: action.minTasks === undefined ? undefined : String(action.minTasks),
          maxCapacity: action.maxTasks === undefined ? undefined : String(action.maxTasks),
        },
      });
    }
  }

  private warnAboutRiskyChoices(props: InferenceServiceProps): void {
    if (props.ecrRepositoryArn === undefined && isUnresolved(props.image)) {
      Annotations.of(this).addWarning(`InferenceService ${props.name}: the image is only known at apply time, so no ECR pull permission was derived from it. Set ecrRepositoryArn if it is an ECR image.`);
    }
    if (props.executeCommand && !props.endpoints) {
      Annotations.of(this).addWarning(
        `InferenceService ${props.name}: ECS Exec is on and no interface endpoints are given; without NAT, the tasks need the "ssmmessages" endpoint (VpcEndpoints services) or execute-command fails to connect.`,
      );
    }
    if (props.models && props.models.iamAuthorization === false) {
      Annotations.of(this).addWarning(`InferenceService ${props.name}: models are mounted without IAM authorization; a ModelFileSystem's policy refuses such (anonymous) mounts.`);
    }
  }
}

function modelsVolume(models: ModelVolumeProps): EcsTaskDefinitionVolume {
  const accessPointId = models.fileSystem.accessPointId;
  return {
    name: MODELS_VOLUME,
    efsVolumeConfiguration: {
      fileSystemId: models.fileSystem.fileSystemId,
      rootDirectory: models.rootDirectory ?? "/",
      transitEncryption: models.transitEncryption ?? true ? "ENABLED" : "DISABLED",
      authorizationConfig: { accessPointId, iam: models.iamAuthorization ?? true ? "ENABLED" : "DISABLED" },
    },
  };
}

/** "app/<name>/<id>" of an ALB ARN, the first half of the ALBRequestCountPerTarget label. */
function loadBalancerArnSuffix(loadBalancerArn: string): string {
  return Fn.element(Fn.split(":loadbalancer/", loadBalancerArn), 1);
}

/** AWS allows target group name prefixes of at most 6 characters; the Name tag carries the full name. */
function targetGroupNamePrefix(name: string): string {
  return name.slice(0, 6).replace(/-+$/, "") || "svc";
}

function validateServiceProps(scope: Construct, props: InferenceServiceProps, strategy: readonly CapacityProviderStrategyItem[], onFargate: boolean): void {
  // 32 keeps "<name>-execution" and "<name>-requests-per-task" within their limits.
  requireResourceName(scope, "name", props.name, 1, 32, "shorten the name; it names the service, its roles and scaling policies");
  if (!isUnresolved(props.image) && props.image.trim() === "") {
    throw new PropValidationError(scope, "image", props.image, "a container image reference", "pass <registry>/<repository>:<tag> or @sha256:<digest>");
  }
  requireNonEmpty(scope, "subnetIds", props.subnetIds, "pass the private subnet ids the tasks run in");
  requirePort(scope, "containerPort", props.containerPort);
  const readiness = props.readinessPath;
  if (readiness !== undefined && !/^\/[A-Za-z0-9._~/-]*$/.test(readiness)) {
    throw new PropValidationError(scope, "readinessPath", readiness, "an absolute URL path of letters, digits and ._~/-", 'use for example "/ready"');
  }
  requireIntegerInRange(scope, "listenerRulePriority", props.listenerRulePriority, 1, 50000, "use a priority from 1 to 50000 not used by another rule of the listener");
  if (props.pathPatterns !== undefined) requireNonEmpty(scope, "pathPatterns", props.pathPatterns, 'pass at least one pattern, for example ["/*"]');
  requireIntegerInRange(scope, "healthCheckGracePeriodSeconds", props.healthCheckGracePeriodSeconds, 0, 7200, "use 0 to 7200 seconds, longer than the model takes to load");
  requireIntegerInRange(scope, "deregistrationDelaySeconds", props.deregistrationDelaySeconds, 0, 3600, "use 0 to 3600 seconds");
  validateHealthCheck(scope, props.containerHealthCheck ?? {});
  validateStrategy(scope, strategy, props.cluster);
  if (onFargate) {
    // The shared table has Batch's 32-vCPU sizes; ECS tasks on Fargate stop at 16 vCPU and 120 GB.
    if (!isUnresolved(props.vcpus) && (props.vcpus ?? 1) > 16) {
      throw new PropValidationError(scope, "vcpus", props.vcpus, "at most 16 on ECS Fargate", "use 16 vCPU (up to 120 GB), or the EC2 capacity provider for larger tasks");
    }
    requireFargateSize(scope, props.vcpus ?? 1, props.memoryMiB ?? 2048);
  }
  validateScaling(scope, props);
  validateDeployment(scope, props);
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
  requireVariableNames(scope, "environment", props.environment);
  requireVariableNames(scope, "fireLens.environment", props.fireLens?.environment);
  if (props.executeCommand) validateExecuteCommand(scope, props.executeCommand, props.endpoints);
  if (props.models) validateModels(scope, props.models);
  if (props.fireLens) validateFireLens(scope, props.fireLens, onFargate);
}

function requireVariableNames(scope: Construct, prop: string, environment: Readonly<Record<string, string>> | undefined): void {
  for (const name of Object.keys(environment ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.startsWith("ECS_") || name.startsWith("AWS_")) {
      throw new PropValidationError(scope, prop, name, "names of letters, digits and underscores, not ECS_* or AWS_* (set by ECS)", "rename the variable");
    }
  }
}

function validateHealthCheck(scope: Construct, check: ContainerHealthCheckProps): void {
  if (check.command !== undefined && !(check.command.length >= 2 && ["CMD", "CMD-SHELL"].includes(check.command[0]))) {
    throw new PropValidationError(scope, "containerHealthCheck.command", check.command, '["CMD-SHELL", "<shell command>"] or ["CMD", "<executable>", ...args]', 'write it as ["CMD-SHELL", "curl -fsS http://localhost:8080/ready || exit 1"]');
  }
  requireIntegerInRange(scope, "containerHealthCheck.intervalSeconds", check.intervalSeconds, 5, 300, "use 5 to 300 seconds");
  requireIntegerInRange(scope, "containerHealthCheck.timeoutSeconds", check.timeoutSeconds, 2, 60, "use 2 to 60 seconds");
  requireIntegerInRange(scope, "containerHealthCheck.retries", check.retries, 1, 10, "use 1 to 10 retries");
  requireIntegerInRange(scope, "containerHealthCheck.startPeriodSeconds", check.startPeriodSeconds, 0, 300, "use 0 to 300 seconds; a longer model load needs healthCheckGracePeriodSeconds too");
}

/** The strategy's shape (shared with the cluster), then: not empty, and only providers the cluster has. */
function validateStrategy(scope: Construct, strategy: readonly CapacityProviderStrategyItem[], cluster: IInferenceCluster): void {
  const names = strategy.map((item) => item.capacityProvider);
  if (strategy.length === 0) {
    throw new PropValidationError(scope, "capacityProviderStrategy", names, "at least one capacity provider", "leave the prop out for FARGATE, or list the providers");
  }
  validateStrategyShape(scope, strategy, "capacityProviderStrategy");
  // Providers are registered before the service is built (InferenceCluster.addCapacityProvider), so the list is complete here.
  const registered = cluster.capacityProviderNames;
  if (isUnresolved(registered) || registered.some((name) => isUnresolved(name))) return;
  const missing = names.find((name) => !isUnresolved(name) && !registered.includes(name));
  if (missing !== undefined) {
    throw new PropValidationError(scope, "capacityProviderStrategy", missing, `a capacity provider of cluster ${cluster.clusterName}: ${registered.join(", ") || "none registered"}`, "register the provider with the cluster first, or pick one it has");
  }
}

/**
 * The cluster's capacity provider association when the cluster is a construct that has one
 * (InferenceCluster): ECS refuses a service whose strategy names a provider not yet associated,
 * and the cluster's ARN alone does not make Terraform wait for the association.
 */
function capacityProviderAssociation(cluster: IInferenceCluster): ITerraformDependable[] {
  if (!Construct.isConstruct(cluster)) return [];
  return cluster.node.children.filter((child): child is EcsClusterCapacityProviders => child instanceof EcsClusterCapacityProviders);
}

function validateScaling(scope: Construct, props: InferenceServiceProps): void {
  requireIntegerInRange(scope, "maxTasks", props.maxTasks, 1, 1000, "use 1 to 1000 tasks");
  requireIntegerInRange(scope, "minTasks", props.minTasks, 0, props.maxTasks ?? 10, `use 0 to maxTasks (${props.maxTasks ?? 10})`);
  requireIntegerInRange(scope, "targetRequestsPerTask", props.targetRequestsPerTask, 1, 100000, "measure the requests per minute one task serves within its latency goal");
  requireIntegerInRange(scope, "targetCpuUtilizationPercent", props.targetCpuUtilizationPercent, 10, 90, "use 10 to 90 percent");
  const names = new Set<string>();
  for (const action of props.scheduledCapacity ?? []) {
    requireResourceName(scope, "scheduledCapacity.name", action.name, 1, 64, "use letters, digits and hyphens; the name keys the action");
    if (names.has(action.name)) throw new PropValidationError(scope, "scheduledCapacity.name", action.name, "distinct names", "rename the second action");
    names.add(action.name);
    requireScheduleExpression(scope, `scheduledCapacity[${action.name}].schedule`, action.schedule);
    if (action.timeZone !== undefined) requireTimeZone(scope, `scheduledCapacity[${action.name}].timeZone`, action.timeZone);
    if (action.minTasks === undefined && action.maxTasks === undefined) {
      throw new PropValidationError(scope, `scheduledCapacity[${action.name}]`, action, "minTasks, maxTasks or both", "say what the schedule changes");
    }
    requireIntegerInRange(scope, `scheduledCapacity[${action.name}].maxTasks`, action.maxTasks, 0, 1000, "use 0 to 1000 tasks");
    requireIntegerInRange(scope, `scheduledCapacity[${action.name}].minTasks`, action.minTasks, 0, action.maxTasks ?? 1000, "use at most the action's maxTasks");
  }
}

function validateDeployment(scope: Construct, props: InferenceServiceProps): void {
  requireIntegerInRange(scope, "minHealthyPercent", props.minHealthyPercent, 0, 100, "use 0 to 100 percent");
  requireIntegerInRange(scope, "maxHealthyPercent", props.maxHealthyPercent, 100, 200, "use 100 to 200 percent");
  const min = props.minHealthyPercent ?? 100;
  const max = props.maxHealthyPercent ?? 200;
  if (max - min < 1 && !isUnresolved(min) && !isUnresolved(max)) {
    throw new PropValidationError(scope, "maxHealthyPercent", max, `above minHealthyPercent (${min}): otherwise ECS can neither stop an old task nor start a new one`, "use maxHealthyPercent 200, or lower minHealthyPercent");
  }
  if (props.deploymentAlarmNames !== undefined) requireNonEmpty(scope, "deploymentAlarmNames", props.deploymentAlarmNames, "name at least one alarm, or leave the prop out");
}

function validateExecuteCommand(scope: Construct, exec: ExecuteCommandProps, endpoints: ServiceEndpoints | undefined): void {
  if (exec.kmsKeyArn !== undefined) requireArn(scope, "executeCommand.kmsKeyArn", exec.kmsKeyArn, [KMS_KEY], "pass the ARN of the key the cluster's exec configuration uses");
  if (endpoints && !isUnresolved(endpoints.endpointIds) && !("ssmmessages" in endpoints.endpointIds)) {
    throw new PropValidationError(
      scope,
      "endpoints",
      Object.keys(endpoints.endpointIds),
      'endpoints that include "ssmmessages" when executeCommand is on (the exec agent talks only to it)',
      'add "ssmmessages" to the VpcEndpoints services',
    );
  }
}

function validateModels(scope: Construct, models: ModelVolumeProps): void {
  const transit = models.transitEncryption ?? true;
  const iam = models.iamAuthorization ?? true;
  if (!transit && (iam || models.fileSystem.accessPointId !== undefined)) {
    throw new PropValidationError(scope, "models.transitEncryption", false, "true with IAM authorization or an access point (ECS refuses them without TLS)", "leave transitEncryption at its default, true");
  }
  const root = models.rootDirectory ?? "/";
  if (models.fileSystem.accessPointId !== undefined && root !== "/") {
    throw new PropValidationError(scope, "models.rootDirectory", root, '"/" with an access point (the access point sets the directory)', "set the directory as the access point's root directory and leave rootDirectory out");
  }
  const path = models.containerPath;
  if (path !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(path)) {
    throw new PropValidationError(scope, "models.containerPath", path, "an absolute path other than /", 'use for example "/models"');
  }
}
