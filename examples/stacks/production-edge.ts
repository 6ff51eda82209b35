// A production-shaped public edge for the warm fleet: HTTPS only (HTTP redirects), a WAF web ACL
// with a per-IP rate limit, a body-size rule and the AWS managed rule groups, ALB access logs to a
// bucket made for them, VPC flow logs, and deletion protection on the ALB.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  FlowLogTraffic,
  InferenceFleet,
  InferenceLoadBalancer,
  InferenceWebAcl,
  LifecycleDefaultResult,
  LoadBalancerLogBucket,
  NatGateways,
  Network,
  ScalingMetric,
  VpcEndpoints,
  WarmPoolState,
  WarmupHook,
  WebAclMode,
} from "../../modules";
import { inferenceServerUserData } from "../inference-server/user-data";

const REGION = "eu-west-1";
/** A placeholder: replace it with an issued ACM certificate of the region. */
const CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";
/** The model takes JSON bodies of up to 64 KiB; larger requests are refused at the edge. */
const MAX_REQUEST_BODY_BYTES = 65_536;

export class ProductionEdgeStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: REGION, defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    const network = new Network(this, "Network", {
      name: id,
      availabilityZones: [`${REGION}a`, `${REGION}b`],
      natGateways: NatGateways.ONE_PER_AZ,
      flowLogs: { traffic: FlowLogTraffic.ALL, logRetentionDays: 365 },
    });
    const accessLogs = new LoadBalancerLogBucket(this, "AccessLogs", { name: `${id}-alb`, region: REGION, expirationDays: 365 });
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.publicSubnetIds,
      certificateArn: CERTIFICATE_ARN,
      deletionProtection: true,
      accessLogs,
    });
    new InferenceWebAcl(this, "WebAcl", {
      name: id,
      loadBalancerArn: loadBalancer.loadBalancerArn,
      // Block from the start here; a first rollout in front of live traffic starts with COUNT.
      mode: WebAclMode.BLOCK,
      rateLimit: 2000,
      rateEvaluationWindowSeconds: 300,
      maxRequestBodyBytes: MAX_REQUEST_BODY_BYTES,
      logRetentionDays: 90,
    });

    const fleet = new InferenceFleet(this, "Fleet", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      instanceType: "c6i.2xlarge",
      userData: inferenceServerUserData({ port: 80 }),
      minSize: 2,
      maxSize: 12,
      warmPool: { poolState: WarmPoolState.STOPPED, minSize: 2 },
      launchHook: { heartbeatTimeoutSeconds: 600, defaultResult: LifecycleDefaultResult.ABANDON },
      scaling: { metric: ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET, targetValue: 600 },
      instanceRefresh: { minHealthyPercentage: 90 },
    });
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds, services: ["ec2", "autoscaling"] });
    fleet.addLaunchDependency(...network.gatewayEndpoints);
    new WarmupHook(this, "Warmup", { fleet, endpoints, dynamoDbPrefixListId: network.dynamoDbPrefixListId });

    new TerraformOutput(this, "load_balancer_dns_name", { value: loadBalancer.dnsName, description: "Point the certificate's DNS name here (alias record)" });
    new TerraformOutput(this, "access_log_bucket", { value: accessLogs.bucketName });
  }
}
