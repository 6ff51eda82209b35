// FireLens: a Fluent Bit container in the task receives the app container's stdout/stderr (the
// app logs through the awsfirelens driver) and routes it as its configuration says. The
// configuration is a file baked into the router image (`config-file-type: file`): Fargate cannot
// fetch an S3 configuration file (ECS developer guide, "Example task definitions" for FireLens).
import type { FireLensProps } from "../inference-service";
import { ContainerSpec } from "./container-definition";
import { PropValidationError, ValidationScope, isUnresolved, requireIntegerInRange } from "./validation";
import { IGrantable } from "../grants";

/**
 * AWS for Fluent Bit, pinned: 3.2.1 is the release of aws/aws-for-fluent-bit#1069 (2026-01-27,
 * Fluent Bit 4.2.2 on Amazon Linux 2023). A floating tag would change the router under a running
 * service at its next task start.
 */
export const DEFAULT_FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1";

/** Name of the router container (the app container waits for it to start). */
export const LOG_ROUTER_CONTAINER = "log-router";

/** Where a FireLens configuration file comes from. */
export enum FireLensConfigType {
  /** A file inside the router image: works on Fargate and EC2. */
  FILE = "file",
  /** An S3 object (arn:aws:s3:::bucket/key): EC2 capacity only. */
  S3 = "s3",
}

/** The router container of the task, logging to the service's log group under its own stream prefix. */
export function fireLensRouter(props: FireLensProps, logGroupName: string, region: string): ContainerSpec {
  return {
    name: LOG_ROUTER_CONTAINER,
    image: props.routerImage ?? DEFAULT_FLUENT_BIT_IMAGE,
    essential: true,
    ports: [],
    environment: props.environment ?? {},
    mounts: [],
    memoryReservationMiB: props.memoryReservationMiB ?? 50,
    firelens: {
      type: "fluentbit",
      options: {
        "config-file-type": props.configType ?? FireLensConfigType.FILE,
        "config-file-value": props.configFile,
        "enable-ecs-log-metadata": "true",
      },
    },
    logging: { logDriver: "awslogs", options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": LOG_ROUTER_CONTAINER } },
  };
}

/** Task-role grants for the router's outputs: write to these log groups and put objects in these buckets. */
export function grantFireLensOutputs(grantee: IGrantable, props: FireLensProps): void {
  const groups = props.cloudWatchLogGroupArns ?? [];
  if (groups.length > 0) {
    grantee.addToRolePolicy({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: groups.map((arn) => `${arn}:log-stream:*`) });
  }
  const buckets = props.s3BucketArns ?? [];
  if (buckets.length > 0) {
    grantee.addToRolePolicy({ actions: ["s3:PutObject"], resources: buckets.map((arn) => `${arn}/*`) });
  }
}

/** The FireLens choices ECS refuses, or that cannot work, refused at synth. */
export function validateFireLens(scope: ValidationScope, props: FireLensProps, onFargate: boolean): void {
  const type = props.configType ?? FireLensConfigType.FILE;
  if (type === FireLensConfigType.S3 && onFargate) {
    throw new PropValidationError(
      scope,
      "fireLens.configType",
      type,
      "FireLensConfigType.FILE on Fargate (Fargate cannot read a FireLens configuration from S3)",
      "bake the configuration into a router image (FROM the AWS for Fluent Bit image, COPY the file) and pass its path with FireLensConfigType.FILE",
    );
  }
  const file = props.configFile;
  if (!isUnresolved(file)) {
    const valid = type === FireLensConfigType.FILE ? /^\/\S+$/.test(file) : /^arn:aws(-[a-z]+)*:s3:::[a-z0-9.-]+\/\S+$/.test(file);
    if (!valid) {
      throw new PropValidationError(
        scope,
        "fireLens.configFile",
        file,
        type === FireLensConfigType.FILE ? "an absolute path inside the router image" : "an S3 object ARN arn:aws:s3:::<bucket>/<key>",
        type === FireLensConfigType.FILE ? 'use for example "/fluent-bit/etc/extra.conf"' : "pass the object's ARN, not an s3:// URL",
      );
    }
  }
  requireIntegerInRange(scope, "fireLens.memoryReservationMiB", props.memoryReservationMiB, 16, 4096, "use 16 to 4096 MiB (50 is AWS's recommendation for Fluent Bit)");
}
