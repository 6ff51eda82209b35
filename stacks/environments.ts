import { FlowLogsProps, NatGateways } from "../modules/network";
import { LoadBalancerScheme } from "../modules/inference-load-balancer";
import { InferenceWebAclProps } from "../modules/inference-web-acl";
import { AMAZON_LINUX_2023, WarmPoolState } from "../modules/inference-fleet";

/** An existing VPC to deploy into instead of creating one. */
export interface ExistingNetworkConfig {
  readonly vpcId: string;
  /** At least two, in different AZs: the fleet, the endpoints and the warmup function use them. */
  readonly privateSubnetIds: readonly string[];
  /** At least two, in different AZs: an ALB needs two AZs. */
  readonly publicSubnetIds: readonly string[];
  /** Prefix list of the VPC's DynamoDB gateway endpoint (pl-...); without it the warmup function warms without leases. */
  readonly dynamoDbPrefixListId?: string;
}

/** A VPC the stack creates. */
export interface NewNetworkConfig {
  readonly cidrBlock: string;
  readonly natGateways: NatGateways;
}

export type NetworkConfig = NewNetworkConfig | { readonly existing: ExistingNetworkConfig };

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

/** Fleet sizing and instances. */
export interface FleetConfig {
  readonly instanceType: string;
  readonly imageId: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Group size at creation only; target tracking owns it afterwards. Default: omitted (minSize). */
  readonly desiredCapacity?: number;
  readonly warmPoolState: WarmPoolState;
  readonly warmPoolMinSize: number;
  readonly requestsPerTargetPerMinute: number;
  readonly rootVolumeGiB: number;
  /** Server worker processes per instance; warmup sends 2 x this per round. Default: the instance type's vCPUs. */
  readonly workersPerInstance?: number;
}

/** ALB access logs to a bucket the stack creates. */
export interface AccessLogsConfig {
  /** Days before a log object expires. */
  readonly expirationDays: number;
}

/** The web ACL's settings (InferenceWebAcl props besides name and ALB). */
export type WafConfig = Omit<InferenceWebAclProps, "name" | "loadBalancerArn" | "tags">;

/** The environment's load balancer, its clients and its audit trail. */
export interface EdgeConfig {
  /** Default: internet-facing with a certificateArn, internal without. Internet-facing requires certificateArn. */
  readonly scheme?: LoadBalancerScheme;
  /** Client ranges allowed to reach the ALB. Default: ["0.0.0.0/0"]. */
  readonly allowedCidrBlocks?: readonly string[];
  /** Managed prefix lists of clients (a corporate VPN, CloudFront origin-facing). Default: none. */
  readonly allowedPrefixListIds?: readonly string[];
  /** TLS policy of the HTTPS listener. */
  readonly sslPolicy: string;
  /** On unless the environment is disposable. */
  readonly deletionProtection: boolean;
  readonly idleTimeoutSeconds: number;
  /** A WAF web ACL on the ALB. Default: none. */
  readonly waf?: WafConfig;
  /** On (90 days) unless the environment is disposable. */
  readonly accessLogs?: AccessLogsConfig;
  /** VPC flow logs of a network the stack creates. Default: none. */
  readonly flowLogs?: FlowLogsProps;
}

/** What an environment may override of its edge; accessLogs: false turns them off where they default on. */
export type EdgeDefinition = Partial<Omit<EdgeConfig, "accessLogs">> & { readonly accessLogs?: AccessLogsConfig | false };

/** One deployment environment, every default filled in; main.ts builds one stack per entry. */
export interface EnvironmentConfig {
  /** Short DNS-safe name; the stack is called "warmfleet-<name>". */
  readonly name: string;
  /** AWS region. */
  readonly region: string;
  /** Two or three AZs of the region (ignored with an existing network). */
  readonly availabilityZones: readonly string[];
  /** Create a VPC (cidrBlock, natGateways) or use an existing one. */
  readonly network: NetworkConfig;
  readonly fleet: FleetConfig;
  /** ACM certificate for HTTPS on the ALB; without one the ALB is internal and serves HTTP. */
  readonly certificateArn?: string;
  /** Torn down and rebuilt at will (dev, previews): no deletion protection, no access logs by default. */
  readonly disposable: boolean;
  readonly edge: EdgeConfig;
  /** Tags on every resource (through the provider's default_tags); Environment is always the name. */
  readonly tags: Readonly<Record<string, string>>;
  /** S3 state with native locking. Default: local state. */
  readonly state?: StateBackendConfig;
  /** Environments planned and applied before this one (Atlantis depends_on). Default: none. */
  readonly dependsOn?: readonly string[];
}

/** What an environment must say (name, region) and may override; defineEnvironment fills the rest. */
export interface EnvironmentDefinition {
  readonly name: string;
  readonly region: string;
  /** Default: "<region>a" and "<region>b". Set them where your account lacks one of those (us-west-1, ap-northeast-1). */
  readonly availabilityZones?: readonly string[];
  /** Default: a new 10.0.0.0/16 VPC with one NAT gateway; override either field, or pass { existing }. */
  readonly network?: Partial<NewNetworkConfig> | { readonly existing: ExistingNetworkConfig };
  /** Only the fields that differ from the defaults. */
  readonly fleet?: Partial<FleetConfig>;
  readonly certificateArn?: string;
  /** Default: false, so deletion protection and access logs are on unless an environment says it is disposable. */
  readonly disposable?: boolean;
  /** Only the fields that differ from the defaults. */
  readonly edge?: EdgeDefinition;
  /** Tags besides Project ("warmfleet", may be replaced) and Environment (always the name). */
  readonly extraTags?: Readonly<Record<string, string>>;
  readonly state?: StateBackendConfig;
  readonly dependsOn?: readonly string[];
}


const DEFAULT_NETWORK: NewNetworkConfig = { cidrBlock: "10.0.0.0/16", natGateways: NatGateways.SINGLE };

const DEFAULT_FLEET: FleetConfig = {
  instanceType: "c6i.xlarge",
  imageId: AMAZON_LINUX_2023,
  minSize: 1,
  maxSize: 4,
  warmPoolState: WarmPoolState.STOPPED,
  warmPoolMinSize: 1,
  requestsPerTargetPerMinute: 600,
  rootVolumeGiB: 30,
};

/**
 * A complete environment from its name, region and whatever differs from the defaults. Tags are
 * derived from the name, so a new environment can never carry another one's Environment tag.
 */
export function defineEnvironment(definition: EnvironmentDefinition): EnvironmentConfig {
  const { name, region, availabilityZones, network, fleet, extraTags, disposable = false, edge, ...rest } = definition;
  return {
    ...rest,
    name,
    region,
    availabilityZones: availabilityZones ?? [`${region}a`, `${region}b`],
    network: network && "existing" in network ? network : withDefaults(DEFAULT_NETWORK, network),
    fleet: withDefaults(DEFAULT_FLEET, fleet),
    disposable,
    edge: edgeWithDefaults(disposable, edge),
    // extraTags last, so an Environment in them is not dropped silently: validation rejects it.
    tags: { Project: "warmfleet", Environment: name, ...extraTags },
  };
}

/** Safe defaults for an environment that must survive a mistake; a disposable one skips the costly or sticky parts. */
function edgeWithDefaults(disposable: boolean, edge: EdgeDefinition = {}): EdgeConfig {
  const { accessLogs, ...rest } = edge;
  const defaults: EdgeConfig = {
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    deletionProtection: !disposable,
    idleTimeoutSeconds: 120,
    accessLogs: disposable ? undefined : { expirationDays: 90 },
  };
  const merged = withDefaults(defaults, rest);
  return accessLogs === undefined ? merged : { ...merged, accessLogs: accessLogs === false ? undefined : accessLogs };
}

/** Overrides on top of defaults; an override left undefined keeps the default instead of erasing it. */
function withDefaults<T extends object>(defaults: T, overrides: Partial<T> | undefined): T {
  const given = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(given) };
}

/** The default environment: synthesizes with no configuration at all. */
export const dev = defineEnvironment({ name: "dev", region: "us-east-1", disposable: true });

/**
 * Every environment of this app, one stack each. To add one: defineEnvironment it here, then
 * `npm run locks:update` and `npm run synth && npm run atlantis:config`, and commit what they write.
 */
export const environments: readonly EnvironmentConfig[] = [dev];
