import { NatGateways } from "../modules/network";
import { WarmPoolState } from "../modules/inference-fleet";

/** An existing VPC to deploy into instead of creating one. */
export interface ExistingNetworkConfig {
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  readonly publicSubnetIds: readonly string[];
}

/** Remote state in S3; without it a stack keeps local state in terraform.<stack>.tfstate. */
export interface StateBackendConfig {
  /** Bucket holding the state (versioned, encrypted, public access blocked: see README). */
  readonly bucket: string;
  /** Object key of this stack's state. Default: "warmfleet/<name>/terraform.tfstate". */
  readonly key?: string;
  /** Region of the bucket. Default: the environment's region. */
  readonly region?: string;
  /** KMS key for SSE-KMS of the state object. Default: the bucket's default encryption (SSE-S3). */
  readonly kmsKeyId?: string;
  /** DynamoDB lock table, only while migrating to S3-native locking (use_lockfile is always on). */
  readonly dynamodbTable?: string;
}

/** One deployment environment; main.ts builds one stack per entry. */
export interface EnvironmentConfig {
  /** Short name; the stack is called "warmfleet-<name>". */
  readonly name: string;
  /** AWS region. */
  readonly region: string;
  /** Two or three AZs of the region (ignored with an existing network). */
  readonly availabilityZones: readonly string[];
  /** Create a VPC (cidrBlock, natGateways) or use an existing one. */
  readonly network: { readonly cidrBlock: string; readonly natGateways: NatGateways } | { readonly existing: ExistingNetworkConfig };
  /** Fleet sizing and instances. */
  readonly fleet: {
    readonly instanceType: string;
    readonly imageId: string;
    readonly minSize: number;
    readonly maxSize: number;
    readonly desiredCapacity: number;
    readonly warmPoolState: WarmPoolState;
    readonly warmPoolMinSize: number;
    readonly requestsPerTargetPerMinute: number;
    readonly rootVolumeGiB: number;
  };
  /** ACM certificate for HTTPS on the ALB; HTTP only when absent. */
  readonly certificateArn?: string;
  /** Tags on every resource (through the provider's default_tags). */
  readonly tags: Readonly<Record<string, string>>;
  /** S3 state with native locking. Default: local state. */
  readonly state?: StateBackendConfig;
  /** Environments planned and applied before this one (Atlantis depends_on). Default: none. */
  readonly dependsOn?: readonly string[];
}

/** Latest Amazon Linux 2023 for x86_64 (C6i), resolved by EC2 at launch. */
export const AMAZON_LINUX_2023 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/** The default environment: synthesizes with no configuration at all. */
export const defaultEnvironment: EnvironmentConfig = {
  name: "dev",
  region: "us-east-1",
  availabilityZones: ["us-east-1a", "us-east-1b"],
  network: { cidrBlock: "10.0.0.0/16", natGateways: NatGateways.SINGLE },
  fleet: {
    instanceType: "c6i.xlarge",
    imageId: AMAZON_LINUX_2023,
    minSize: 1,
    maxSize: 4,
    desiredCapacity: 1,
    warmPoolState: WarmPoolState.STOPPED,
    warmPoolMinSize: 1,
    requestsPerTargetPerMinute: 600,
    rootVolumeGiB: 30,
  },
  tags: { Project: "warmfleet", Environment: "dev" },
};

/** Every environment of this app. Add entries here to get more stacks. */
export const environments: readonly EnvironmentConfig[] = [defaultEnvironment];
