import { Construct } from "constructs";
import { Fn, ITerraformDependable, TerraformStack } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { RoleGrants } from "./grants";
import { policyDocument } from "./internal/policies";
import { PropValidationError, S3_BUCKET, isUnresolved, requireArn, requireIpv4Cidr, requireLogRetentionDays, requireResourceName } from "./internal/validation";

/** How private subnets reach the internet. */
export enum NatGateways {
  /** No NAT: private subnets reach AWS only through VPC endpoints. */
  NONE = "NONE",
  /** One NAT gateway in the first AZ, shared by all private subnets (cheaper, one AZ of failure). */
  SINGLE = "SINGLE",
  /** One NAT gateway per AZ (survives the loss of an AZ, costs one gateway per AZ). */
  ONE_PER_AZ = "ONE_PER_AZ",
}

/** Which connections a flow log records. */
export enum FlowLogTraffic {
  ALL = "ALL",
  /** Only connections the security groups and network ACLs admitted. */
  ACCEPT = "ACCEPT",
  /** Only refused connections: the cheapest view of scans and misconfigured clients. */
  REJECT = "REJECT",
}

/** VPC flow logs, to CloudWatch Logs (a log group the Network creates) or to an S3 bucket. */
export interface FlowLogsProps {
  /** Which connections to record. @default FlowLogTraffic.ALL */
  readonly traffic?: FlowLogTraffic;
  /** Days the CloudWatch log group keeps records; not allowed with s3BucketArn. @default 90 */
  readonly logRetentionDays?: number;
  /** ARN of an S3 bucket to write to instead of CloudWatch Logs; its policy must admit delivery.logs.amazonaws.com. @default - CloudWatch Logs */
  readonly s3BucketArn?: string;
  /** Seconds over which records are aggregated: 60 or 600. @default 600 */
  readonly maxAggregationIntervalSeconds?: number;
}

export interface NetworkProps {
  /** Name prefix for every resource's Name tag, 1 to 48 letters, digits and hyphens. */
  readonly name: string;
  /** IPv4 CIDR block of the VPC, prefix /16 to /20. @default "10.0.0.0/16" */
  readonly cidrBlock?: string;
  /** Availability zone names, two or three, of the stack's region (for example ["us-east-1a", "us-east-1b"]). */
  readonly availabilityZones: readonly string[];
  /** NAT gateways for outbound internet access from private subnets. @default NatGateways.NONE */
  readonly natGateways?: NatGateways;
  /** VPC flow logs. @default - no flow logs */
  readonly flowLogs?: FlowLogsProps;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A VPC with one public and one private subnet per AZ, S3 and DynamoDB gateway endpoints and
 * optional NAT.
 *
 * Private subnets take the first three quarters of the VPC (one each), public subnets small
 * blocks at the start of the last quarter, so the layout is fixed by the CIDR and AZ order and
 * never moves when NAT settings change.
 */
export class Network extends Construct {
  /** The VPC id. */
  public readonly vpcId: string;
  /** The VPC CIDR block, as given (known at synth time, so it can key security group rules). */
  public readonly cidrBlock: string;
  /** Private subnet ids, one per AZ, in AZ order. */
  public readonly privateSubnetIds: string[];
  /** Public subnet ids, one per AZ, in AZ order. */
  public readonly publicSubnetIds: string[];
  /** Route table ids of the private subnets, in AZ order. */
  public readonly privateRouteTableIds: string[];
  /** Prefix list of the DynamoDB gateway endpoint: security groups open HTTPS to it (the warmup function's leases). */
  public readonly dynamoDbPrefixListId: string;
  /** The S3 and DynamoDB gateway endpoints: what a fleet's first launch should wait for (InferenceFleet.addLaunchDependency). */
  public readonly gatewayEndpoints: readonly ITerraformDependable[];
  /** Name of the flow logs' CloudWatch log group, when flow logs go to CloudWatch Logs. */
  public readonly flowLogGroupName?: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const cidrBlock = props.cidrBlock ?? "10.0.0.0/16";
    validateNetworkProps(this, props.name, cidrBlock, props.availabilityZones);
    if (props.flowLogs) validateFlowLogs(this, props.flowLogs);
    const tags = props.tags ?? {};
    const named = (suffix: string) => ({ ...tags, Name: `${props.name}-${suffix}` });

    const vpc = new Vpc(this, "Vpc", {
      cidrBlock,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: named("vpc"),
    });
    // The default group allows all traffic between its members; nothing should ever use it.
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", { vpcId: vpc.id, tags: named("default-deny-all") });

    const igw = new InternetGateway(this, "InternetGateway", { vpcId: vpc.id, tags: named("igw") });
    const publicRouteTable = new RouteTable(this, "PublicRouteTable", { vpcId: vpc.id, tags: named("public") });
    new Route(this, "PublicDefaultRoute", {
      routeTableId: publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });

    const publicSubnets = props.availabilityZones.map((az, i) => {
      const subnet = new Subnet(this, `PublicSubnet${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(cidrBlock, 6, 48 + i),
        mapPublicIpOnLaunch: false,
        tags: { ...named(`public-${az}`), "warmfleet:tier": "public" },
      });
      new RouteTableAssociation(this, `PublicSubnet${i}RouteTableAssociation`, {
        subnetId: subnet.id,
        routeTableId: publicRouteTable.id,
      });
      return subnet;
    });

    const natGatewayIds = this.natGateways(props.natGateways ?? NatGateways.NONE, publicSubnets, named, igw);

    const privateRouteTables = props.availabilityZones.map((az, i) => {
      const subnet = new Subnet(this, `PrivateSubnet${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(cidrBlock, 2, i),
        mapPublicIpOnLaunch: false,
        tags: { ...named(`private-${az}`), "warmfleet:tier": "private" },
      });
      const routeTable = new RouteTable(this, `PrivateRouteTable${i}`, { vpcId: vpc.id, tags: named(`private-${az}`) });
      new RouteTableAssociation(this, `PrivateSubnet${i}RouteTableAssociation`, {
        subnetId: subnet.id,
        routeTableId: routeTable.id,
      });
      if (natGatewayIds.length > 0) {
        new Route(this, `PrivateSubnet${i}NatRoute`, {
          routeTableId: routeTable.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: natGatewayIds[Math.min(i, natGatewayIds.length - 1)],
        });
      }
      return { subnet, routeTable };
    });

    const region = new DataAwsRegion(this, "Region");
    // Free, and it lets instances reach S3 (models, and Amazon Linux package repositories) without NAT.
    const s3 = new VpcEndpoint(this, "S3GatewayEndpoint", {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${region.name}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: privateRouteTables.map((p) => p.routeTable.id),
      tags: named("s3"),
    });
    // Free as well: DynamoDB from private subnets (WarmupHook's lease table) without NAT or an
    // interface endpoint, whose names the SDK would not resolve without extra configuration.
    const dynamoDb = new VpcEndpoint(this, "DynamoDbGatewayEndpoint", {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${region.name}.dynamodb`,
      vpcEndpointType: "Gateway",
      routeTableIds: privateRouteTables.map((p) => p.routeTable.id),
      tags: named("dynamodb"),
    });

    this.vpcId = vpc.id;
    this.cidrBlock = cidrBlock;
    this.privateSubnetIds = privateRouteTables.map((p) => p.subnet.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateRouteTableIds = privateRouteTables.map((p) => p.routeTable.id);
    this.dynamoDbPrefixListId = dynamoDb.prefixListId;
    this.gatewayEndpoints = [s3, dynamoDb];
    if (props.flowLogs) this.flowLogGroupName = this.flowLogs(props.name, vpc.id, props.flowLogs, region.name, named);
  }

  /** The flow log; for CloudWatch Logs also its log group and a role that may write to that group only. */
  private flowLogs(name: string, vpcId: string, flowLogs: FlowLogsProps, region: string, named: (suffix: string) => Record<string, string>): string | undefined {
    const common = {
      vpcId,
      trafficType: flowLogs.traffic ?? FlowLogTraffic.ALL,
      maxAggregationInterval: flowLogs.maxAggregationIntervalSeconds ?? 600,
      tags: named("flow-logs"),
    };
    if (flowLogs.s3BucketArn !== undefined) {
      new FlowLog(this, "FlowLog", { ...common, logDestinationType: "s3", logDestination: flowLogs.s3BucketArn });
      return undefined;
    }
    const logGroup = new CloudwatchLogGroup(this, "FlowLogGroup", { name: `/vpc/${name}/flow-logs`, retentionInDays: flowLogs.logRetentionDays ?? 90, tags: named("flow-logs") });
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const role = new IamRole(this, "FlowLogRole", {
      namePrefix: `${name.slice(0, 24)}-flow-logs-`,
      description: `VPC flow logs of ${name}: write to their log group only`,
      // Confused-deputy guard: only this account's flow logs may assume the role.
      assumeRolePolicy: policyDocument(this, "FlowLogTrustPolicy", [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:*:ec2:${region}:${account}:vpc-flow-log/*`] },
          ],
        },
      ]),
      tags: named("flow-logs"),
      lifecycle: { createBeforeDestroy: true },
    });
    new RoleGrants(this, role.name).add({
      actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      resources: [logGroup.arn, `${logGroup.arn}:*`],
    });
    new FlowLog(this, "FlowLog", { ...common, logDestinationType: "cloud-watch-logs", logDestination: logGroup.arn, iamRoleArn: role.arn });
    return logGroup.name;
  }

  private natGateways(
    mode: NatGateways,
    publicSubnets: Subnet[],
    named: (suffix: string) => Record<string, string>,
    igw: InternetGateway,
  ): string[] {
    const count = mode === NatGateways.NONE ? 0 : mode === NatGateways.SINGLE ? 1 : publicSubnets.length;
    return publicSubnets.slice(0, count).map((subnet, i) => {
      const eip = new Eip(this, `NatEip${i}`, { domain: "vpc", tags: named(`nat-${i}`), dependsOn: [igw] });
      return new NatGateway(this, `NatGateway${i}`, {
        allocationId: eip.id,
        subnetId: subnet.id,
        tags: named(`nat-${i}`),
        dependsOn: [igw],
      }).id;
    });
  }
}

function validateNetworkProps(scope: Construct, name: string, cidrBlock: string, availabilityZones: readonly string[]): void {
  requireResourceName(scope, "name", name, 1, 48, 'give the network a short name such as "ml-serving"; it prefixes every Name tag');
  requireIpv4Cidr(scope, "cidrBlock", cidrBlock, 16, 20);
  if (isUnresolved(availabilityZones)) return;
  const distinct = new Set(availabilityZones).size === availabilityZones.length;
  if (availabilityZones.length < 2 || availabilityZones.length > 3 || !distinct) {
    throw new PropValidationError(
      scope,
      "availabilityZones",
      availabilityZones,
      "two or three distinct availability zone names",
      'list two or three AZs of the region, for example ["us-east-1a", "us-east-1b"]',
    );
  }
  const region = providerRegion(scope);
  const regions = new Set(availabilityZones.map(regionOfZone));
  if (regions.size > 1 || (region !== undefined && !regions.has(region))) {
    throw new PropValidationError(
      scope,
      "availabilityZones",
      availabilityZones,
      `zones of one region${region ? `, the stack's region ${region}` : ""}`,
      `use zones such as ["${region ?? [...regions][0]}a", "${region ?? [...regions][0]}b"]`,
    );
  }
}

/** "us-east-1a" -> "us-east-1"; zone ids and Local Zones keep their region prefix too. */
function regionOfZone(zone: string): string {
  return /^([a-z]{2}(-[a-z]+)+-\d+)/.exec(zone)?.[1] ?? zone;
}

/** The region of the stack's default AWS provider, when it is a literal. */
function providerRegion(scope: Construct): string | undefined {
  const provider = TerraformStack.of(scope)
    .node.findAll()
    .find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
  const region = provider?.region;
  return region === undefined || isUnresolved(region) ? undefined : region;
}

function validateFlowLogs(scope: Construct, flowLogs: FlowLogsProps): void {
  requireLogRetentionDays(scope, "flowLogs.logRetentionDays", flowLogs.logRetentionDays);
  const interval = flowLogs.maxAggregationIntervalSeconds;
  if (interval !== undefined && !isUnresolved(interval) && interval !== 60 && interval !== 600) {
    throw new PropValidationError(scope, "flowLogs.maxAggregationIntervalSeconds", interval, "60 or 600", "use 60 for near-real-time records or 600 for fewer, cheaper ones");
  }
  if (flowLogs.s3BucketArn === undefined) return;
  requireArn(scope, "flowLogs.s3BucketArn", flowLogs.s3BucketArn, [S3_BUCKET], "pass the bucket's ARN (arn:aws:s3:::name), or leave s3BucketArn out for CloudWatch Logs");
  if (flowLogs.logRetentionDays !== undefined) {
    throw new PropValidationError(
      scope,
      "flowLogs.logRetentionDays",
      flowLogs.logRetentionDays,
      "unset with s3BucketArn",
      "expire flow logs with the bucket's lifecycle rules, or drop s3BucketArn to use CloudWatch Logs",
    );
  }
}
