// ECS container definitions written with every field ECS fills in when it registers a task
// definition. The provider compares the JSON it sent with the JSON ECS reads back; a field ECS adds
// (environment [], mountPoints [], volumesFrom [], cpu 0, portMappings' protocol and hostPort, the
// health check's interval/retries/timeout...) shows up as a difference that replaces the task
// definition on every plan and rolls the service for nothing. Known and still reported:
// hashicorp/terraform-provider-aws#5323 ("shows as modified each time terraform is applied"),
// terraform-aws-modules/terraform-aws-ecs#148 (health check defaults), and the fields listed in
// hashicorp/terraform-provider-aws#36029. The exact JSON is pinned by
// __tests__/modules/internal/container-definition.test.ts.

/** One environment variable of a container. */
export interface ContainerVariable {
  readonly name: string;
  readonly value: string;
}

/** A read-only or read-write mount of a task volume. */
export interface ContainerMount {
  readonly sourceVolume: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

/** A container health check (ECS's defaults: 30 s interval, 5 s timeout, 3 retries). */
export interface ContainerHealthCheck {
  readonly command: readonly string[];
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

/** A container's log driver and its options. */
export interface ContainerLogging {
  readonly logDriver: "awslogs" | "awsfirelens";
  readonly options: Readonly<Record<string, string>>;
}

/** What varies between containers; everything else is written with ECS's own value. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  /** TCP ports the container listens on (awsvpc: host port = container port). */
  readonly ports: readonly number[];
  readonly environment: Readonly<Record<string, string>>;
  readonly mounts: readonly ContainerMount[];
  readonly logging: ContainerLogging;
  readonly healthCheck?: ContainerHealthCheck;
  /** Soft memory limit in MiB (sidecars). */
  readonly memoryReservationMiB?: number;
  /** Runs an init process as PID 1 (reaps the processes ECS Exec starts). */
  readonly initProcessEnabled?: boolean;
  /** Marks the container as the task's FireLens log router. */
  readonly firelens?: { readonly type: "fluentbit"; readonly options: Readonly<Record<string, string>> };
  /** Containers that must be in a state before this one starts. */
  readonly dependsOn?: ReadonlyArray<{ readonly containerName: string; readonly condition: "START" | "HEALTHY" | "COMPLETE" | "SUCCESS" }>;
}

/** The container definition ECS stores for this spec: environment sorted by name, defaults written out. */
export function containerDefinition(spec: ContainerSpec): Record<string, unknown> {
  const definition: Record<string, unknown> = {
    name: spec.name,
    image: spec.image,
    cpu: 0,
    essential: spec.essential,
    portMappings: spec.ports.map((port) => ({ containerPort: port, hostPort: port, protocol: "tcp" })),
    environment: Object.keys(spec.environment)
      .sort()
      .map((name): ContainerVariable => ({ name, value: spec.environment[name] })),
    environmentFiles: [],
    mountPoints: spec.mounts.map((m) => ({ sourceVolume: m.sourceVolume, containerPath: m.containerPath, readOnly: m.readOnly })),
    volumesFrom: [],
    systemControls: [],
    // An awsfirelens driver whose routing is all in the router's file has no options: none are written.
    logConfiguration: Object.keys(spec.logging.options).length > 0 ? { logDriver: spec.logging.logDriver, options: { ...spec.logging.options } } : { logDriver: spec.logging.logDriver },
  };
  if (spec.healthCheck) {
    definition.healthCheck = {
      command: [...spec.healthCheck.command],
      interval: spec.healthCheck.intervalSeconds,
      timeout: spec.healthCheck.timeoutSeconds,
      retries: spec.healthCheck.retries,
      startPeriod: spec.healthCheck.startPeriodSeconds,
    };
  }
  if (spec.memoryReservationMiB !== undefined) definition.memoryReservation = spec.memoryReservationMiB;
  if (spec.initProcessEnabled) definition.linuxParameters = { initProcessEnabled: true };
  if (spec.firelens) definition.firelensConfiguration = { type: spec.firelens.type, options: { ...spec.firelens.options } };
  if (spec.dependsOn) definition.dependsOn = spec.dependsOn.map((d) => ({ containerName: d.containerName, condition: d.condition }));
  return definition;
}
