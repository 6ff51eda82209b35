// The inference API as an ECS service on the warm fleet as EC2 capacity (source document 002 with
// warmfleet's warm pool): the fleet's instances boot the ECS-optimized Amazon Linux 2023, pull the
// service image at first boot and stop into a Stopped warm pool with it on EBS; the agent does not
// register while they are pooled (ECS_WARM_POOLS_CHECK). ECS managed scaling sizes the group for
// the tasks and protects instances that run them; the launch hook's function (ECS_HOST mode) lets
// an instance into service once its agent is connected. The tasks (awsvpc) warm their own model
// behind the readiness-gated health check before the internal ALB sends them traffic.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  FleetCapacityProvider,
  InferenceCluster,
  InferenceFleet,
  InferenceLoadBalancer,
  InferenceService,
  LifecycleDefaultResult,
  LoadBalancerScheme,
  NatGateways,
  Network,
  VpcEndpoints,
  WarmPoolState,
  WarmupHook,
} from "../../modules";

const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference-server:2024-06-01";

export class EcsWarmFleetStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1", defaultTags: [{ tags: { Project: id } }] });
    // A relative path: the implicit local backend would write this machine's absolute path.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    // NAT for the hosts (ECR layers, ECS agent, the host-ready tag); endpoints for the hook.
    const network = new Network(this, "Network", { name: id, availabilityZones: ["us-east-1a", "us-east-1b"], natGateways: NatGateways.SINGLE });
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds, services: ["ec2", "autoscaling", "ecs"] });
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      scheme: LoadBalancerScheme.INTERNAL,
      allowedCidrBlocks: ["10.0.0.0/16"],
    });
    const cluster = new InferenceCluster(this, "Cluster", { name: id, executeCommandLogging: { logRetentionDays: 90 } });

    const fleet = new InferenceFleet(this, "Hosts", {
      name: `${id}-hosts`,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      ecsHost: { cluster, prePullImages: [IMAGE] },
      instanceType: "c6i.2xlarge",
      httpsEgressCidrBlocks: ["0.0.0.0/0"],
      minSize: 1,
      maxSize: 6,
      warmPool: { poolState: WarmPoolState.STOPPED, minSize: 1 },
      launchHook: { heartbeatTimeoutSeconds: 300, defaultResult: LifecycleDefaultResult.ABANDON },
    });
    const capacity = new FleetCapacityProvider(this, "Capacity", {
      // Capacity provider names may not start with "ecs", as this stack id does.
      name: `hosts-${id}`,
      fleet,
      managedScaling: { targetCapacityPercent: 100, instanceWarmupPeriodSeconds: 120 },
      managedTerminationProtection: true,
    });
    cluster.addCapacityProvider(capacity);
    fleet.addLaunchDependency(...network.gatewayEndpoints);
    const hook = new WarmupHook(this, "HostReadiness", { fleet, endpoints, dynamoDbPrefixListId: network.dynamoDbPrefixListId });

    const service = new InferenceService(this, "Service", {
      name: id,
      cluster,
      image: IMAGE,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      vcpus: 2,
      memoryMiB: 4096,
      environment: { INFERENCE_WORKERS: "2" },
      capacityProviderStrategy: [{ capacityProvider: capacity.capacityProviderName, weight: 1 }],
      minTasks: 2,
      maxTasks: 8,
      targetRequestsPerTask: 120,
    });

    new TerraformOutput(this, "url", { value: `http://${loadBalancer.dnsName}/` });
    new TerraformOutput(this, "cluster_name", { value: cluster.clusterName });
    new TerraformOutput(this, "service_name", { value: service.serviceName });
    new TerraformOutput(this, "host_readiness_function_name", { value: hook.functionName });
  }
}
