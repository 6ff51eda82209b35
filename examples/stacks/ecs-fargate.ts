// The synchronous inference API as an ECS service on Fargate (source documents 001 and 002):
// an internal ALB -> IP target group -> tasks in private subnets that read their model from EFS
// (read-only, through an access point, IAM + TLS) and report ready only once every worker has
// loaded it (examples/inference-server/, GET /ready). The app logs through a FireLens router
// (examples/firelens/): error lines to a CloudWatch log group, everything to S3. Deployments roll
// back when the circuit breaker trips, and those events (and tasks failing to start) reach an SNS
// topic. ECS Exec is on, with session logs in the cluster's exec log group. No NAT: the tasks reach
// AWS through interface endpoints (S3 through the Network's gateway endpoint).
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import {
  FargateCapacityProvider,
  InferenceCluster,
  InferenceLoadBalancer,
  InferenceService,
  LoadBalancerScheme,
  ModelFileSystem,
  NatGateways,
  Network,
  ServiceEventNotifications,
  VpcEndpoints,
} from "../../modules";

const REGISTRY = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";
const AVAILABILITY_ZONES = ["ap-northeast-1a", "ap-northeast-1c"];

export class EcsFargateStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "ap-northeast-1", defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    const region = new DataAwsRegion(this, "Region").name;

    const network = new Network(this, "Network", { name: id, availabilityZones: AVAILABILITY_ZONES, natGateways: NatGateways.NONE });
    // What the tasks and the ECS agent call: image pull, logs (awslogs and FireLens), ECS Exec.
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      services: ["ecr.api", "ecr.dkr", "logs", "ssmmessages"],
    });
    // Internal: clients in the VPC (or peered) only; an internet-facing ALB needs a certificate.
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      scheme: LoadBalancerScheme.INTERNAL,
      allowedCidrBlocks: ["10.0.0.0/16"],
    });
    const cluster = new InferenceCluster(this, "Cluster", { name: id, executeCommandLogging: { logRetentionDays: 90 } });

    // Mount targets keyed by AZ, the subnet of each AZ from the network (same order).
    const models = new ModelFileSystem(this, "Models", {
      name: `${id}-models`,
      vpcId: network.vpcId,
      mountTargets: Object.fromEntries(AVAILABILITY_ZONES.map((zone, i) => [zone, network.privateSubnetIds[i]])),
    });

    const errors = new CloudwatchLogGroup(this, "ErrorLogGroup", { name: `/ecs/${id}/errors`, retentionInDays: 90 });
    const archive = this.logArchive(`${id}-logs-123456789012`);

    const service = new InferenceService(this, "Service", {
      name: id,
      cluster,
      image: `${REGISTRY}/inference-server:2024-06-01`,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      endpoints,
      vcpus: 2,
      memoryMiB: 8192,
      environment: { MODEL_PATH: "/models/model.bin", INFERENCE_WORKERS: "2" },
      // The example image (python slim) has no curl: the same readiness probe in Python.
      containerHealthCheck: {
        command: ["CMD-SHELL", "python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/ready', timeout=4)\" || exit 1"],
        startPeriodSeconds: 180,
      },
      healthCheckGracePeriodSeconds: 240,
      // One task always on FARGATE, the rest three to one on FARGATE_SPOT.
      capacityProviderStrategy: [
        { capacityProvider: FargateCapacityProvider.FARGATE, base: 1, weight: 1 },
        { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 3 },
      ],
      minTasks: 2,
      maxTasks: 12,
      targetRequestsPerTask: 120,
      scheduledCapacity: [
        { name: "weekday-morning", schedule: "cron(0 8 ? * MON-FRI *)", timeZone: "Asia/Tokyo", minTasks: 4 },
        { name: "weekday-evening", schedule: "cron(0 20 ? * MON-FRI *)", timeZone: "Asia/Tokyo", minTasks: 2 },
      ],
      models: { fileSystem: models },
      fireLens: {
        routerImage: `${REGISTRY}/log-router:3.2.1`,
        configFile: "/fluent-bit/etc/extra.conf",
        environment: { LOG_REGION: region, ERROR_LOG_GROUP: errors.name, ARCHIVE_BUCKET: archive.bucket },
        cloudWatchLogGroupArns: [errors.arn],
        s3BucketArns: [archive.arn],
      },
      executeCommand: { sessionLogGroupArn: cluster.executeCommandLogGroupArn },
    });
    const notifications = new ServiceEventNotifications(this, "ServiceEvents", { name: id, serviceArn: service.serviceArn });

    new TerraformOutput(this, "url", { value: `http://${loadBalancer.dnsName}/` });
    new TerraformOutput(this, "service_name", { value: service.serviceName });
    new TerraformOutput(this, "cluster_name", { value: cluster.clusterName });
    new TerraformOutput(this, "model_file_system_id", { value: models.fileSystemId });
    new TerraformOutput(this, "service_events_topic_arn", { value: notifications.topicArn });
  }

  /** The bucket every log line is archived in: private, owner-enforced, encrypted. */
  private logArchive(name: string): S3Bucket {
    const bucket = new S3Bucket(this, "LogArchive", { bucket: name });
    new S3BucketPublicAccessBlock(this, "LogArchivePublicAccessBlock", { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "LogArchiveOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "LogArchiveEncryption", { bucket: bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    return bucket;
  }
}
