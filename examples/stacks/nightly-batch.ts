// Nightly batch recommendations: at 02:00 Tokyo time EventBridge Scheduler submits one AWS Batch
// job (no Lambda in between), which runs on Fargate Spot and falls back to on-demand Fargate when
// Spot has no capacity, reads the model from S3 and writes its results back. Failed jobs and
// submissions Scheduler gave up on notify one SNS topic.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  BatchComputeEnvironment,
  BatchComputeType,
  BatchJobAlarms,
  BatchJobDefinition,
  BatchJobQueue,
  BatchPlatform,
  BatchSchedule,
  NatGateways,
  Network,
} from "../../modules";

const IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/recommender-batch:2024-06-01";

export class NightlyBatchStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "ap-northeast-1", defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    // Fargate in private subnets pulls from ECR and writes logs through the NAT gateway.
    const network = new Network(this, "Network", { name: id, availabilityZones: ["ap-northeast-1a", "ap-northeast-1c"], natGateways: NatGateways.SINGLE });
    const compute = { vpcId: network.vpcId, subnetIds: network.privateSubnetIds, maxVcpus: 32 };
    const spot = new BatchComputeEnvironment(this, "SpotCompute", { name: id, computeType: BatchComputeType.FARGATE_SPOT, ...compute });
    const onDemand = new BatchComputeEnvironment(this, "OnDemandCompute", { name: id, computeType: BatchComputeType.FARGATE, ...compute });
    // Spot first; Batch places jobs on on-demand Fargate only when Spot cannot take them.
    const queue = new BatchJobQueue(this, "Queue", { name: id, computeEnvironments: [spot, onDemand] });

    const job = new BatchJobDefinition(this, "Job", {
      name: id,
      platform: BatchPlatform.FARGATE,
      image: IMAGE,
      vcpus: 4,
      memoryMiB: 16384,
      command: ["python", "-m", "recommender.batch", "--run-date", "Ref::run_date"],
      parameters: { run_date: "latest" },
      environment: { MODEL_URI: "s3://example-models/recommender/v7/", RESULTS_URI: "s3://example-results/recommendations/" },
      timeoutSeconds: 2 * 3600,
      retry: { attempts: 3 },
    });
    job.grantModelStoreRead({ bucketArn: "arn:aws:s3:::example-models", prefix: "recommender/v7/" });
    job.grantResultsWrite({ bucketArn: "arn:aws:s3:::example-results", prefix: "recommendations/" });

    const schedule = new BatchSchedule(this, "Schedule", {
      name: id,
      jobQueue: queue,
      jobDefinition: job,
      expression: "cron(0 2 * * ? *)",
      timeZone: "Asia/Tokyo",
      flexibleWindowMinutes: 15,
      // Scheduler fills in the scheduled time, so a retried or late run still processes its own night.
      parameters: { run_date: "<aws.scheduler.scheduled-time>" },
    });
    const alarms = new BatchJobAlarms(this, "Alarms", { name: id, jobQueue: queue, schedules: [schedule] });

    // Everything `aws batch submit-job` needs to run the job by hand.
    new TerraformOutput(this, "job_queue_name", { value: queue.jobQueueName });
    new TerraformOutput(this, "job_definition_name", { value: job.jobDefinitionName });
    new TerraformOutput(this, "job_definition_arn", { value: job.jobDefinitionArn });
    new TerraformOutput(this, "log_group_name", { value: job.logGroupName });
    new TerraformOutput(this, "schedule_name", { value: schedule.scheduleName });
    new TerraformOutput(this, "alerts_topic_arn", { value: alarms.topicArn });
  }
}
