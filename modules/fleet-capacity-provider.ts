import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { IClusterCapacityProvider, IInferenceCluster } from "./inference-cluster";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";

/** Whether ECS drains an instance's tasks before Auto Scaling terminates it. */
export enum ManagedDraining {
  /** ECS adds its own termination lifecycle hook and moves tasks off first. */
  ENABLED = "ENABLED",
  /** Auto Scaling terminates instances with their tasks running. */
  DISABLED = "DISABLED",
}

/** What the capacity provider needs of the fleet it manages; InferenceFleet with ecsHost provides all of it. */
export interface EcsCapacityFleet {
  /** Name of the Auto Scaling group. */
  readonly autoScalingGroupName: string;
  /** ARN of the Auto Scaling group. */
  readonly autoScalingGroupArn: string;
  /** The cluster the instances join; undefined for a fleet that is not made of ECS hosts. */
  readonly ecsCluster?: IInferenceCluster;
  /** Whether new instances start protected from scale-in. */
  readonly newInstancesProtectedFromScaleIn: boolean;
}

export interface ManagedScalingProps {
  /** Percentage of the group's capacity tasks should use, 1 to 100 (100 = no spare instances). @default 100 */
  readonly targetCapacityPercent?: number;
  /** Fewest instances added or removed at once, 1 to 10000. @default 1 */
  readonly minimumScalingStepSize?: number;
  /** Most instances added or removed at once, 1 to 10000. @default 10000 */
  readonly maximumScalingStepSize?: number;
  /** Seconds a new instance takes before its metrics count, 0 to 10000. @default 300 */
  readonly instanceWarmupPeriodSeconds?: number;
}

export interface FleetCapacityProviderProps {
  /** Name of the capacity provider, 1 to 255 letters, digits, hyphens and underscores, not starting with "aws", "ecs" or "fargate". */
  readonly name: string;
  /** The ECS-host fleet (InferenceFleet with ecsHost) whose group provides the capacity. */
  readonly fleet: EcsCapacityFleet;
  /** ECS scales the group to fit the tasks (ECS cluster auto scaling). @default - no managed scaling: the group keeps the size you give it */
  readonly managedScaling?: ManagedScalingProps;
  /** ECS keeps instances that run tasks from being scaled in; needs managedScaling and a fleet with scale-in protection. @default false */
  readonly managedTerminationProtection?: boolean;
  /** Whether ECS drains tasks before instances terminate. @default ManagedDraining.ENABLED */
  readonly managedDraining?: ManagedDraining;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An EC2 capacity provider over an InferenceFleet of ECS hosts: services place tasks on it, ECS
 * cluster auto scaling sizes the group (and its warm pool refills behind it), and managed
 * termination protection keeps instances that run tasks. Register it with the cluster through
 * InferenceCluster.addCapacityProvider.
 */
export class FleetCapacityProvider extends Construct implements IClusterCapacityProvider {
  /** Name of the capacity provider, as a reference: the cluster association and services that name it are created after it. */
  public readonly capacityProviderName: string;
  /** ARN of the capacity provider. */
  public readonly capacityProviderArn: string;

  constructor(scope: Construct, id: string, props: FleetCapacityProviderProps) {
    super(scope, id);
    validateProviderProps(this, props);
    warnAboutUnreleasedInstances(this, props);
    const scaling = props.managedScaling;
    const provider = new EcsCapacityProvider(this, "CapacityProvider", {
      name: props.name,
      autoScalingGroupProvider: {
        autoScalingGroupArn: props.fleet.autoScalingGroupArn,
        managedTerminationProtection: props.managedTerminationProtection ? "ENABLED" : "DISABLED",
        managedDraining: props.managedDraining ?? ManagedDraining.ENABLED,
        managedScaling: scaling
          ? {
              status: "ENABLED",
              targetCapacity: scaling.targetCapacityPercent ?? 100,
              minimumScalingStepSize: scaling.minimumScalingStepSize ?? 1,
              maximumScalingStepSize: scaling.maximumScalingStepSize ?? 10000,
              instanceWarmupPeriod: scaling.instanceWarmupPeriodSeconds ?? 300,
            }
          : { status: "DISABLED" },
      },
      tags: props.tags,
    });
    this.capacityProviderName = provider.name;
    this.capacityProviderArn = provider.arn;
  }
}

function validateProviderProps(scope: Construct, props: FleetCapacityProviderProps): void {
  if (!isUnresolved(props.name) && (!/^[A-Za-z0-9_-]{1,255}$/.test(props.name) || /^(aws|ecs|fargate)/i.test(props.name))) {
    throw new PropValidationError(
      scope,
      "name",
      props.name,
      '1 to 255 letters, digits, hyphens and underscores, not starting with "aws", "ecs" or "fargate" (AWS reserves those prefixes)',
      'use for example "<fleet name>-capacity"',
    );
  }
  if (props.fleet.ecsCluster === undefined) {
    throw new PropValidationError(
      scope,
      "fleet",
      props.fleet.autoScalingGroupName,
      "a fleet of ECS hosts (InferenceFleet with ecsHost)",
      "set ecsHost: { cluster } on the InferenceFleet, so its instances boot the ECS-optimized AMI and join the cluster",
    );
  }
  const scaling = props.managedScaling;
  requireIntegerInRange(scope, "managedScaling.targetCapacityPercent", scaling?.targetCapacityPercent, 1, 100, "use 1 to 100 percent; below 100 keeps spare instances running");
  requireIntegerInRange(scope, "managedScaling.minimumScalingStepSize", scaling?.minimumScalingStepSize, 1, 10000, "use 1 to 10000 instances");
  requireIntegerInRange(scope, "managedScaling.maximumScalingStepSize", scaling?.maximumScalingStepSize, 1, 10000, "use 1 to 10000 instances");
  requireIntegerInRange(scope, "managedScaling.instanceWarmupPeriodSeconds", scaling?.instanceWarmupPeriodSeconds, 0, 10000, "use 0 to 10000 seconds");
  const min = scaling?.minimumScalingStepSize ?? 1;
  const max = scaling?.maximumScalingStepSize ?? 10000;
  if (min > max) {
    throw new PropValidationError(scope, "managedScaling.minimumScalingStepSize", min, `at most maximumScalingStepSize (${max})`, "lower the minimum step or raise the maximum");
  }
  if (props.managedTerminationProtection) validateTerminationProtection(scope, props);
}

/** ECS refuses managed termination protection unless it also scales the group and instances start protected. */
function validateTerminationProtection(scope: Construct, props: FleetCapacityProviderProps): void {
  if (!props.managedScaling) {
    throw new PropValidationError(
      scope,
      "managedTerminationProtection",
      true,
      "true only together with managedScaling (ECS lifts an instance's protection when it scales in)",
      "add managedScaling: {}, or set managedTerminationProtection to false",
    );
  }
  if (!props.fleet.newInstancesProtectedFromScaleIn) {
    throw new PropValidationError(
      scope,
      "managedTerminationProtection",
      true,
      "true only for a fleet whose new instances are protected from scale-in",
      "leave ecsHost.scaleInProtection at its default (true) on the InferenceFleet, or set managedTerminationProtection to false",
    );
  }
}

function warnAboutUnreleasedInstances(scope: Construct, props: FleetCapacityProviderProps): void {
  if (props.fleet.newInstancesProtectedFromScaleIn && !props.managedTerminationProtection) {
    Annotations.of(scope).addWarning(
      `FleetCapacityProvider ${props.name}: the fleet's instances are protected from scale-in but managedTerminationProtection is off, so nothing lifts the protection and the group never scales in. ` +
        "Turn on managedTerminationProtection (with managedScaling), or set ecsHost.scaleInProtection to false on the fleet.",
    );
  }
}
