import { TerraformOutput } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLogTraffic, Network, NatGateways, NetworkProps } from "../../modules/network";
import { count, resources, synth } from "../support/synth";

const base: NetworkProps = { name: "test", availabilityZones: ["us-east-1a", "us-east-1b"] };

function network(overrides: Partial<NetworkProps> = {}) {
  return synth((scope) => new Network(scope, "Network", { ...base, ...overrides }));
}

describe("Network", () => {
  test("GIVEN defaults WHEN synthesized THEN a DNS-enabled 10.0.0.0/16 VPC with one public and one private subnet per AZ", () => {
    const { text, json } = network();
    expect(text).toHaveResourceWithProperties(Vpc, { cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true });
    expect(count(json, "aws_subnet")).toBe(4);
    expect(text).toHaveResourceWithProperties(Subnet, { availability_zone: "us-east-1b", cidr_block: '${cidrsubnet("10.0.0.0/16", 2, 1)}' });
    expect(text).toHaveResourceWithProperties(Subnet, { availability_zone: "us-east-1a", cidr_block: '${cidrsubnet("10.0.0.0/16", 6, 48)}', map_public_ip_on_launch: false });
  });

  test("GIVEN three AZs WHEN synthesized THEN six subnets and a private route table per AZ", () => {
    const { json } = network({ availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] });
    expect(count(json, "aws_subnet")).toBe(6);
    expect(count(json, "aws_route_table")).toBe(4);
  });

  test("GIVEN a custom CIDR WHEN synthesized THEN subnets are carved from it", () => {
    const { text } = network({ cidrBlock: "172.20.0.0/20" });
    expect(text).toHaveResourceWithProperties(Vpc, { cidr_block: "172.20.0.0/20" });
    expect(text).toHaveResourceWithProperties(Subnet, { cidr_block: '${cidrsubnet("172.20.0.0/20", 2, 0)}' });
  });

  test("GIVEN no NAT WHEN synthesized THEN private subnets have no default route", () => {
    const { json } = network({ natGateways: NatGateways.NONE });
    expect(count(json, "aws_nat_gateway")).toBe(0);
    expect(count(json, "aws_eip")).toBe(0);
    expect(count(json, "aws_route")).toBe(1); // the public route to the internet gateway
  });

  test("GIVEN a single NAT WHEN synthesized THEN every private route table uses the one gateway", () => {
    const { json } = network({ natGateways: NatGateways.SINGLE });
    expect(count(json, "aws_nat_gateway")).toBe(1);
    const natRoutes = Object.values(resources(json, "aws_route")).filter((r) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(2);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(1);
  });

  test("GIVEN one NAT per AZ WHEN synthesized THEN each private route table uses its own AZ's gateway", () => {
    const { json } = network({ natGateways: NatGateways.ONE_PER_AZ, availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] });
    expect(count(json, "aws_nat_gateway")).toBe(3);
    const natRoutes = Object.values(resources(json, "aws_route")).filter((r) => r.nat_gateway_id);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(3);
  });

  test("GIVEN defaults WHEN synthesized THEN S3 and DynamoDB gateway endpoints serve the private route tables and the default group is emptied", () => {
    const { text, json } = network();
    expect(text).toHaveResourceWithProperties(VpcEndpoint, { vpc_endpoint_type: "Gateway", service_name: expect.stringMatching(/^com\.amazonaws\.\$\{data\.aws_region\.Network_Region_[0-9A-F]+\.name\}\.s3$/) });
    expect(text).toHaveResourceWithProperties(VpcEndpoint, { vpc_endpoint_type: "Gateway", service_name: expect.stringMatching(/^com\.amazonaws\.\$\{data\.aws_region\.Network_Region_[0-9A-F]+\.name\}\.dynamodb$/) });
    const endpoints = Object.values(resources(json, "aws_vpc_endpoint")) as Array<{ route_table_ids: unknown[] }>;
    expect(endpoints.map((e) => e.route_table_ids)).toEqual([expect.any(Array), expect.any(Array)]);
    expect(endpoints.every((e) => e.route_table_ids.length === 2)).toBe(true);
    expect(text).toHaveResource(DefaultSecurityGroup);
    expect(Object.values(resources(json, "aws_default_security_group"))[0].ingress).toBeUndefined();
  });

  test("GIVEN a network WHEN its gateway attributes are read THEN they are the DynamoDB endpoint's prefix list and both gateway endpoints", () => {
    let created: Network | undefined;
    const { json } = synth((scope) => {
      created = new Network(scope, "Network", base);
      new TerraformOutput(scope, "PrefixList", { value: created.dynamoDbPrefixListId });
    });
    expect(Object.values((json as { output?: Record<string, { value: string }> }).output ?? {})[0]?.value).toMatch(/^\$\{aws_vpc_endpoint\.Network_DynamoDbGatewayEndpoint_[0-9A-F]+\.prefix_list_id\}$/);
    expect(created?.gatewayEndpoints).toHaveLength(2);
  });

  test("GIVEN no flowLogs WHEN synthesized THEN no flow log, log group or role", () => {
    const { json } = network();
    expect(count(json, "aws_flow_log")).toBe(0);
    expect(count(json, "aws_cloudwatch_log_group")).toBe(0);
    expect(count(json, "aws_iam_role")).toBe(0);
  });

  test("GIVEN flow logs to CloudWatch Logs WHEN synthesized THEN a log group with retention and a role that writes to that group only", () => {
    const { text, json } = network({ flowLogs: { traffic: FlowLogTraffic.REJECT, logRetentionDays: 30 } });
    expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/vpc/test/flow-logs", retention_in_days: 30 });
    expect(text).toHaveResourceWithProperties(FlowLog, { traffic_type: "REJECT", log_destination_type: "cloud-watch-logs", max_aggregation_interval: 600 });
    const trust = JSON.stringify(Object.values(json.data?.aws_iam_policy_document ?? {}).find((d) => JSON.stringify(d).includes("sts:AssumeRole")));
    expect(trust).toContain("vpc-flow-logs.amazonaws.com");
    expect(trust).toContain("aws:SourceAccount");
    const grants = Object.values(json.data?.aws_iam_policy_document ?? {}).find((d) => JSON.stringify(d).includes("logs:PutLogEvents")) as { statement: { resources: string[] }[] };
    expect(grants.statement[0].resources).toEqual([
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.Network_FlowLogGroup_\w+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.Network_FlowLogGroup_\w+\.arn\}:\*$/),
    ]);
  });

  test("GIVEN flow logs to S3 WHEN synthesized THEN the flow log writes to the bucket without a role or log group", () => {
    const { text, json } = network({ flowLogs: { s3BucketArn: "arn:aws:s3:::flow-logs", maxAggregationIntervalSeconds: 60 } });
    expect(text).toHaveResourceWithProperties(FlowLog, { log_destination_type: "s3", log_destination: "arn:aws:s3:::flow-logs", traffic_type: "ALL", max_aggregation_interval: 60 });
    expect(count(json, "aws_iam_role")).toBe(0);
    expect(count(json, "aws_cloudwatch_log_group")).toBe(0);
  });

  test("GIVEN tags WHEN synthesized THEN resources carry them with a Name", () => {
    const { text } = network({ tags: { Team: "ml" } });
    expect(text).toHaveResourceWithProperties(Vpc, { tags: { Team: "ml", Name: "test-vpc" } });
  });

  test.each([
    ["10.0.0.0", /cidrBlock = "10.0.0.0".*n from 16 to 20/],
    ["10.0.0.0/24", /cidrBlock = "10.0.0.0\/24"/],
    ["10.0.0.0/8", /cidrBlock = "10.0.0.0\/8"/],
    ["300.0.0.0/16", /cidrBlock = "300.0.0.0\/16"/],
    ["10.0.5.0/16", /Network \(\S+\): invalid cidrBlock = "10.0.5.0\/16". Allowed: .*no host bits set. Fix: use "10.0.0.0\/16"/],
    ["10.1.2.3/20", /invalid cidrBlock = "10.1.2.3\/20".*Fix: use "10.1.0.0\/20"/],
  ])("GIVEN cidrBlock %s WHEN synthesized THEN it fails naming the prop", (cidrBlock, message) => {
    expect(() => network({ cidrBlock })).toThrow(message);
  });

  test.each([
    [["us-east-1a"]],
    [["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]],
    [["us-east-1a", "us-east-1a"]],
  ])("GIVEN availabilityZones %j WHEN synthesized THEN it fails with the allowed range", (availabilityZones) => {
    expect(() => network({ availabilityZones })).toThrow(/Network \(\S+\): invalid availabilityZones = .*two or three distinct availability zone names.*Fix:/);
  });

  test.each<[string, Partial<NetworkProps>, RegExp]>([
    ["an empty name", { name: "" }, /Network \(\S+\): invalid name = "". Allowed: 1 to 48 letters, digits and hyphens/],
    ["zones of two regions", { availabilityZones: ["us-east-1a", "eu-west-1b"] }, /invalid availabilityZones = \["us-east-1a","eu-west-1b"\]. Allowed: zones of one region/],
    ["a flow log retention of 2 days", { flowLogs: { logRetentionDays: 2 } }, /Network \(\S+\): invalid flowLogs.logRetentionDays = 2/],
    ["a flow log interval of 300 s", { flowLogs: { maxAggregationIntervalSeconds: 300 } }, /invalid flowLogs.maxAggregationIntervalSeconds = 300. Allowed: 60 or 600/],
    ["a flow log bucket that is not an ARN", { flowLogs: { s3BucketArn: "my-bucket" } }, /invalid flowLogs.s3BucketArn = "my-bucket"/],
    ["a retention with an S3 destination", { flowLogs: { s3BucketArn: "arn:aws:s3:::flow-logs", logRetentionDays: 30 } }, /invalid flowLogs.logRetentionDays = 30. Allowed: unset with s3BucketArn/],
  ])("GIVEN %s WHEN synthesized THEN it fails naming the prop", (_label, overrides, message) => {
    expect(() => network(overrides)).toThrow(message);
  });

  test("GIVEN a stack in eu-west-1 WHEN the zones are us-east-1's THEN it fails naming the stack's region", () => {
    const build = () =>
      synth((scope) => {
        new AwsProvider(scope, "aws", { region: "eu-west-1" });
        new Network(scope, "Network", base);
      });
    expect(build).toThrow(/invalid availabilityZones = \["us-east-1a","us-east-1b"\]. Allowed: zones of one region, the stack's region eu-west-1. Fix: use zones such as \["eu-west-1a", "eu-west-1b"\]/);
  });

  test("GIVEN a stack in eu-west-1 WHEN its own zones are used THEN it synthesizes", () => {
    const { json } = synth((scope) => {
      new AwsProvider(scope, "aws", { region: "eu-west-1" });
      new Network(scope, "Network", { ...base, availabilityZones: ["eu-west-1a", "eu-west-1c"] });
    });
    expect(Object.values(resources(json, "aws_subnet")).map((s) => s.availability_zone)).toContain("eu-west-1c");
  });

  test("GIVEN a network WHEN its cidrBlock attribute is read THEN it is the literal block, usable as a rule key", () => {
    let cidrBlock = "";
    synth((scope) => {
      cidrBlock = new Network(scope, "Network", { ...base, cidrBlock: "10.8.0.0/16" }).cidrBlock;
    });
    expect(cidrBlock).toBe("10.8.0.0/16");
  });
});
