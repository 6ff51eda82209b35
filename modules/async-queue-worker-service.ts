import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ASYNC_WORKER_ENV } from "./async-contract";
import { IAsyncRequestQueue } from "./async-request-queue";
import { IAsyncResultsTable } from "./async-results-table";
import { CpuArchitecture } from "./batch-job-definition";
import { Connections, IConnectable, Port } from "./connections";
import { IGrantable, PolicyStatement, RoleGrants } from "./grants";
import { requireLogRetentionDays } from "./internal/validation";
import { requireQueueName } from "./internal/async-validation";
import { requireFargateSize } from "./internal/fargate-resources";
import { assumeRolePolicy } from "./internal/policies";
import { PropValidationError, isUnresolved, requireIntegerInRange, requireNonEmpty } from "./internal/validation";
import { ecsExecutionRole } from "./internal/ecs-execution-role";
import { jsonencode } from "./internal/jsonencode";

/** An existing ECS cluster to run the workers in. */
export interface WorkerClusterReference {
  /** Name of the cluster (it scopes the task protection permission and the Container Insights metrics). */
  readonly clusterName: string;
  /** ARN of the cluster. */
  readonly clusterArn: string;
}

export interface AsyncQueueWorkerServiceProps {
  /** Name of the service, task family, roles, log group and alarms, 1 to 48 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue the workers consume. */
  readonly queue: IAsyncRequestQueue;
  /** The table results are written to. */
  readonly table: IAsyncResultsTable;
  /** Container image of the worker, e.g. "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/worker:1.0". */
  readonly image: string;
  /** ECR repository the execution role may pull from. @default - derived from image when it is a literal ECR image; none for other registries */
  readonly ecrRepositoryArn?: string;
  /** Cluster to run in; it must have Container Insights enabled (the scaling metric RunningTaskCount comes from it). @default - a new cluster named after the service, Container Insights on */
  readonly cluster?: WorkerClusterReference;
  /** VPC of the tasks. */
  readonly vpcId: string;
  /** Private subnets of the tasks (no public IP is assigned). */
  readonly subnetIds: readonly string[];
  /** Interface endpoints of the AWS APIs the tasks call (sqs, sns, logs, ecr.api, ecr.dkr, ecs); HTTPS to them is allowed on both sides. @default - none: the tasks reach AWS through NAT */
  readonly endpoints?: IConnectable;
  /** vCPUs of one task: 0.25, 0.5, 1, 2, 4, 8 or 16. @default 1 */
  readonly vcpus?: number;
  /** Memory of one task in MiB, one of the values Fargate allows for vcpus. @default 2048 */
  readonly memoryMiB?: number;
  /** CPU architecture of the image. @default CpuArchitecture.X86_64 */
  readonly cpuArchitecture?: CpuArchitecture;
  /** Extra environment variables (the ASYNC_* contract variables are set by the construct). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL, 2 to 120: time to finish or release the current message. @default 120 */
  readonly stopTimeoutSeconds?: number;
  /** Fewest tasks, 0 to maxTasks (0 = scale to zero when the queue is empty). @default 0 */
  readonly minTasks?: number;
  /** Most tasks, 1 to 1000. @default 10 */
  readonly maxTasks?: number;
  /** Seconds a message may wait in the queue before a worker takes it (the latency goal). */
  readonly latencyGoalSeconds: number;
  /** Seconds one task takes for one message, on average. */
  readonly secondsPerMessage: number;
  /** Seconds after a scale-in before the next one, 0 to 3600. @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** Seconds after a scale-out before the next one, 0 to 3600. @default 60 */
  readonly scaleOutCooldownSeconds?: number;
  /** Days the workers' logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Fargate workers that poll the request queue themselves (no load balancer), scaled on backlog per
 * task: (visible + in-flight messages) / running tasks, with the target derived from a latency goal
 * and the time per message, plus a step policy that starts the first task when messages wait and
 * nothing runs (target tracking multiplies the current count, so it cannot leave zero). The task
 * role may consume this queue, update results, publish completions and set its own task's scale-in
 * protection while it works on a message.
 */
export class AsyncQueueWorkerService extends Construct implements IConnectable, IGrantable {
  /** Name of the ECS service. */
  public readonly serviceName: string;
  /** Name of the cluster the service runs in. */
  public readonly clusterName: string;
  /** ARN of the cluster the service runs in. */
  public readonly clusterArn: string;
  /** ARN of the task definition revision. */
  public readonly taskDefinitionArn: string;
  /** Name of the task role (the worker's own permissions). */
  public readonly taskRoleName: string;
  /** ARN of the task role. */
  public readonly taskRoleArn: string;
  /** ARN of the execution role (image pull, logs). */
  public readonly executionRoleArn: string;
  /** Name of the workers' log group. */
  public readonly logGroupName: string;
  /** Security group of the tasks. */
  public readonly securityGroupId: string;
  /** The tasks' security group side. */
  public readonly connections: Connections;
  /** Backlog per task the target tracking policy holds: ceil(latencyGoalSeconds / secondsPerMessage). */
  public readonly targetBacklogPerTask: number;
  /** Name of the alarm that starts the first task. */
  public readonly scaleFromZeroAlarmName: string;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: AsyncQueueWorkerServiceProps) {
    super(scope, id);
    this.targetBacklogPerTask = validateServiceProps(this, props);
    const tags = props.tags ?? {};
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const cluster = props.cluster ?? this.createCluster(props.name, tags);
    this.clusterName = cluster.clusterName;
    this.clusterArn = cluster.clusterArn;
    this.serviceName = props.name;

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-`,
      description: `Async workers ${props.name}: HTTPS egress only, no ingress`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    // ECR layers come from S3 through the gateway endpoint, which a security group can only name by
    // prefix list: HTTPS to anywhere, and without NAT only the endpoints are routable anyway.
    this.connections.allowToCidr("0.0.0.0/0", Port.tcp(443), "AWS APIs, ECR and S3 over HTTPS");
    if (props.endpoints) this.connections.allowTo(props.endpoints, Port.tcp(443), "Async workers: AWS APIs through the interface endpoints");

    const logGroup = new CloudwatchLogGroup(this, "LogGroup", { name: `/ecs/${props.name}`, retentionInDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    const taskRole = new IamRole(this, "TaskRole", {
      name: `${props.name}-task`,
      description: `Async workers ${props.name}: consume the queue, write results, publish completions, protect their own tasks`,
      assumeRolePolicy: assumeRolePolicy(this, "TaskTrustPolicy", "ecs-tasks.amazonaws.com"),
      tags,
    });
    this.taskRoleName = taskRole.name;
    this.taskRoleArn = taskRole.arn;
    this.grants = new RoleGrants(this, taskRole.name);
    props.queue.grantConsume(this);
    props.table.grantWriteResults(this);
    props.queue.grantPublishCompletions(this);
    // The worker calls the ECS agent's task protection endpoint ($ECS_AGENT_URI/task-protection/v1/state),
    // which calls these with the task role's credentials.
    this.addToRolePolicy({
      actions: ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
      resources: [`arn:${partition}:ecs:${region}:${account}:task/${this.clusterName}/*`],
    });
    const execution = ecsExecutionRole(this, { name: props.name, description: `ECS for the async workers ${props.name}: pull their image, write their log group`, image: props.image, ecrRepositoryArn: props.ecrRepositoryArn, logGroupArn: logGroup.arn, partition, tags });
    this.executionRoleArn = execution.role.arn;

    const taskDefinition = new EcsTaskDefinition(this, "TaskDefinition", {
      family: props.name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(Math.round((props.vcpus ?? 1) * 1024)),
      memory: String(props.memoryMiB ?? 2048),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? CpuArchitecture.X86_64 },
      taskRoleArn: taskRole.arn,
      executionRoleArn: execution.role.arn,
      containerDefinitions: jsonencode([this.container(props, logGroup.name, region)]),
      tags,
    });
    this.taskDefinitionArn = taskDefinition.arn;

    const minTasks = props.minTasks ?? 0;
    const service = new EcsService(this, "Service", {
      name: props.name,
      cluster: this.clusterArn,
      taskDefinition: taskDefinition.arn,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      desiredCount: minTasks,
      networkConfiguration: { subnets: [...props.subnetIds], securityGroups: [securityGroup.id], assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      tags,
      // Application Auto Scaling owns the task count once the service exists.
      lifecycle: { ignoreChanges: ["desired_count"] },
      dependsOn: [execution.policy, ...(this.grants.resource ? [this.grants.resource] : [])],
    });

    const target = new AppautoscalingTarget(this, "ScalableTarget", {
      serviceNamespace: "ecs",
      resourceId: `service/${this.clusterName}/${service.name}`,
      scalableDimension: "ecs:service:DesiredCount",
      minCapacity: minTasks,
      maxCapacity: props.maxTasks ?? 10,
      tags,
    });
    this.backlogPerTaskPolicy(props, target);
    this.scaleFromZeroAlarmName = `${props.name}-scale-from-zero`;
    this.scaleFromZero(props, target, tags);
    this.warnAboutRiskyChoices(props);
  }

  /** Adds a statement to the task role (a model bucket, say). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }

  private createCluster(name: string, tags: Readonly<Record<string, string>>): WorkerClusterReference {
    const cluster = new EcsCluster(this, "Cluster", { name, setting: [{ name: "containerInsights", value: "enabled" }], tags });
    return { clusterName: cluster.name, clusterArn: cluster.arn };
  }

  private container(props: AsyncQueueWorkerServiceProps, logGroupName: string, region: string): Record<string, unknown> {
    const variables: Record<string, string> = {
      ...props.environment,
      [ASYNC_WORKER_ENV.queueUrl]: props.queue.queueUrl,
      [ASYNC_WORKER_ENV.tableName]: props.table.tableName,
      [ASYNC_WORKER_ENV.completionTopicArn]: props.queue.completionsTopicArn,
      [ASYNC_WORKER_ENV.visibilityTimeoutSeconds]: String(props.queue.visibilityTimeoutSeconds),
      [ASYNC_WORKER_ENV.resultTtlSeconds]: String(props.table.resultTtlSeconds),
      // Ten seconds short of the stop timeout: the worker must release its message before ECS kills it.
      [ASYNC_WORKER_ENV.stopGraceSeconds]: String(Math.max(1, (props.stopTimeoutSeconds ?? 120) - 10)),
    };
    return {
      name: "worker",
      image: props.image,
      essential: true,
      environment: Object.keys(variables)
        .sort()
        .map((name) => ({ name, value: variables[name] })),
      stopTimeout: props.stopTimeoutSeconds ?? 120,
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": "worker" } },
      // Fields ECS fills in when they are missing, written out so the registered JSON reads back equal.
      portMappings: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
    };
  }

  /** Target tracking on (visible + in-flight) / running tasks, from SQS and Container Insights metrics. */
  private backlogPerTaskPolicy(props: AsyncQueueWorkerServiceProps, target: AppautoscalingTarget): void {
    const queue = [{ name: "QueueName", value: props.queue.queueName }];
    const service = [
      { name: "ClusterName", value: this.clusterName },
      { name: "ServiceName", value: props.name },
    ];
    new AppautoscalingPolicy(this, "BacklogPerTaskPolicy", {
      name: `${props.name}-backlog-per-task`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: this.targetBacklogPerTask,
        scaleInCooldown: props.scaleInCooldownSeconds ?? 300,
        scaleOutCooldown: props.scaleOutCooldownSeconds ?? 60,
        customizedMetricSpecification: {
          metrics: [
            { id: "visible", returnData: false, metricStat: { stat: "Average", metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: queue } } },
            { id: "inflight", returnData: false, metricStat: { stat: "Average", metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesNotVisible", dimensions: queue } } },
            { id: "running", returnData: false, metricStat: { stat: "Average", metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: service } } },
            // Never divided by zero: with no task running the backlog itself is the value.
            { id: "backlogpertask", label: "Backlog per task", returnData: true, expression: "(visible + inflight) / IF(FILL(running, 0) > 0, FILL(running, 0), 1)" },
          ],
        },
      },
    });
  }

  /** When messages are visible and no task runs, add one task (target tracking cannot leave zero). */
  private scaleFromZero(props: AsyncQueueWorkerServiceProps, target: AppautoscalingTarget, tags: Readonly<Record<string, string>>): void {
    const policy = new AppautoscalingPolicy(this, "ScaleFromZeroPolicy", {
      name: `${props.name}-scale-from-zero`,
      policyType: "StepScaling",
      serviceNamespace: target.serviceNamespace,
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      stepScalingPolicyConfiguration: {
        adjustmentType: "ChangeInCapacity",
        // Long enough for a Fargate task to start and show up in RunningTaskCount.
        cooldown: 180,
        metricAggregationType: "Maximum",
        stepAdjustment: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
      },
    });
    new CloudwatchMetricAlarm(this, "ScaleFromZeroAlarm", {
      alarmName: this.scaleFromZeroAlarmName,
      alarmDescription: `Messages wait in ${props.queue.queueName} and no ${props.name} task runs: start one`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQuery: [
        { id: "visible", returnData: false, metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: props.queue.queueName }, period: 60, stat: "Maximum" } },
        {
          id: "running",
          returnData: false,
          metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: { ClusterName: this.clusterName, ServiceName: props.name }, period: 60, stat: "Maximum" },
        },
        // A service with no task may publish no RunningTaskCount at all: missing counts as zero.
        { id: "idlewithbacklog", label: "Visible messages while no task runs", returnData: true, expression: "IF(visible > 0 AND FILL(running, 0) == 0, 1, 0)" },
      ],
      alarmActions: [policy.arn],
      tags,
    });
  }

  private warnAboutRiskyChoices(props: AsyncQueueWorkerServiceProps): void {
    if (props.ecrRepositoryArn === undefined && isUnresolved(props.image)) {
      Annotations.of(this).addWarning(
        `AsyncQueueWorkerService ${props.name}: the image is only known at apply time, so no ECR pull permission was derived from it. Set ecrRepositoryArn if it is an ECR image.`,
      );
    }
    if (props.cluster !== undefined) {
      Annotations.of(this).addWarning(
        `AsyncQueueWorkerService ${props.name}: scaling reads RunningTaskCount from Container Insights; make sure cluster ${props.cluster.clusterName} has containerInsights enabled, or the service will not scale in.`,
      );
    }
  }
}

/** Validates the props and returns the backlog per task to hold. */
function validateServiceProps(scope: Construct, props: AsyncQueueWorkerServiceProps): number {
  // 48 keeps "<name>-execution" and "<name>-backlog-per-task" within their limits.
  requireQueueName(scope, "name", props.name, 48);
  if (!isUnresolved(props.image) && props.image.trim() === "") {
    throw new PropValidationError(scope, "image", props.image, "a container image reference", "pass <registry>/<repository>:<tag> or @sha256:<digest>");
  }
  requireNonEmpty(scope, "subnetIds", props.subnetIds, "pass the private subnet ids the tasks run in");
  requireFargateSize(scope, props.vcpus ?? 1, props.memoryMiB ?? 2048);
  requireIntegerInRange(scope, "stopTimeoutSeconds", props.stopTimeoutSeconds, 2, 120, "use 2 to 120 seconds (Fargate's limit)");
  requireIntegerInRange(scope, "maxTasks", props.maxTasks, 1, 1000, "use 1 to 1000 tasks");
  requireIntegerInRange(scope, "minTasks", props.minTasks, 0, props.maxTasks ?? 10, `use 0 to maxTasks (${props.maxTasks ?? 10})`);
  requireIntegerInRange(scope, "scaleInCooldownSeconds", props.scaleInCooldownSeconds, 0, 3600, "use 0 to 3600 seconds");
  requireIntegerInRange(scope, "scaleOutCooldownSeconds", props.scaleOutCooldownSeconds, 0, 3600, "use 0 to 3600 seconds");
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
  for (const [prop, value] of [["latencyGoalSeconds", props.latencyGoalSeconds], ["secondsPerMessage", props.secondsPerMessage]] as const) {
    if (!isUnresolved(value) && !(Number.isFinite(value) && value > 0)) {
      throw new PropValidationError(scope, prop, value, "a positive number of seconds", "measure it; the scaling target is latencyGoalSeconds / secondsPerMessage");
    }
  }
  if (props.latencyGoalSeconds < props.secondsPerMessage) {
    throw new PropValidationError(
      scope,
      "latencyGoalSeconds",
      props.latencyGoalSeconds,
      `at least secondsPerMessage (${props.secondsPerMessage}): a backlog per task below 1 cannot be held`,
      `raise latencyGoalSeconds to ${props.secondsPerMessage} or more`,
    );
  }
  const worstCase = props.queue.worstCaseProcessingSeconds;
  if (!isUnresolved(worstCase) && props.secondsPerMessage > worstCase) {
    throw new PropValidationError(scope, "secondsPerMessage", props.secondsPerMessage, `at most the queue's worstCaseProcessingSeconds (${worstCase})`, "declare a larger worst case on the queue, or correct the average");
  }
  for (const name of Object.keys(props.environment ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || Object.values(ASYNC_WORKER_ENV).includes(name as never) || name.startsWith("ECS_")) {
      throw new PropValidationError(scope, "environment", name, "names of letters, digits and underscores, not ECS_* (set by the agent) nor an ASYNC_* contract variable", "rename the variable; the construct sets the contract variables itself");
    }
  }
  return Math.ceil(props.latencyGoalSeconds / props.secondsPerMessage);
}
