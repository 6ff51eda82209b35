// Weekly batch on EC2 in an existing VPC: Spot C6i first (at most 80% of the on-demand price), then
// on-demand C6i, behind a fair-share queue; EventBridge Scheduler submits the job every Sunday at
// 03:00 Berlin time. The EC2 side of the batch constructs (nightly-batch.ts is the Fargate side),
// for jobs that need more memory per vCPU, GPUs or instance storage than Fargate offers.
import { Construct } from "constructs";
import { LocalBackend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { BatchComputeEnvironment, BatchComputeType, BatchJobDefinition, BatchJobQueue, BatchPlatform, BatchSchedule } from "../../modules";

export class WeeklyBatchEc2Stack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-central-1" });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    // Your VPC's id and private subnets (with a route to ECR and S3: NAT or endpoints).
    const network = { vpcId: "vpc-0abc", subnetIds: ["subnet-p1", "subnet-p2"], maxVcpus: 64 };
    const spot = new BatchComputeEnvironment(this, "SpotCompute", { name: id, computeType: BatchComputeType.SPOT, ...network, ec2: { minVcpus: 0, bidPercentage: 80 } });
    const onDemand = new BatchComputeEnvironment(this, "OnDemandCompute", { name: id, computeType: BatchComputeType.EC2, ...network });
    const queue = new BatchJobQueue(this, "Queue", { name: id, computeEnvironments: [spot, onDemand], fairShare: { shares: [{ shareIdentifier: "weekly" }] } });
    const job = new BatchJobDefinition(this, "Job", { name: id, platform: BatchPlatform.EC2, image: "public.ecr.aws/docker/library/python:3.12", vcpus: 8, memoryMiB: 15000 });
    new BatchSchedule(this, "Schedule", { name: id, jobQueue: queue, jobDefinition: job, expression: "cron(0 3 ? * SUN *)", timeZone: "Europe/Berlin", shareIdentifier: "weekly" });
  }
}
