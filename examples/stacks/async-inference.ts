// Asynchronous inference, both worker kinds side by side on one network. Each pipeline is a
// request API (function URL, IAM auth) -> requests topic -> queue (+ dead-letter queue) -> workers
// -> results table + completions topic, with its own queue and table:
//   fast: inferences of up to a minute on a Lambda worker whose event source mapping never runs
//         more invocations than the function's reserved concurrency (no throttled receives, so no
//         dead-letter flood);
//   slow: inferences of up to 30 minutes on Fargate workers that poll the queue themselves, extend
//         the visibility while they work, protect their task from scale-in mid-message, and scale
//         on backlog per task (from zero).
// One worker kind per queue: two consumers of one queue would race for the same messages and
// scale on each other's backlog. The network has no NAT: the Fargate tasks reach AWS through
// interface endpoints (and S3 and DynamoDB through gateway endpoints).
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  AsyncAlarms,
  AsyncLambdaWorker,
  AsyncQueueWorkerService,
  AsyncRequestApi,
  AsyncRequestQueue,
  AsyncRequestQueueProps,
  AsyncResultsTable,
  NatGateways,
  Network,
  VpcEndpoints,
  WorkerRuntime,
} from "../../modules";

const WORKER_IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/async-worker:2024-06-01";

export class AsyncInferenceStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "ap-northeast-1", defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    // --- fast: Lambda workers -------------------------------------------------------------------
    const fast = this.pipeline("Fast", `${id}-fast`, { worstCaseProcessingSeconds: 60 });
    const lambdaWorker = new AsyncLambdaWorker(this, "FastWorker", {
      name: `${id}-fast-worker`,
      queue: fast.queue,
      table: fast.table,
      code: join(__dirname, "..", "async-worker"),
      handler: "lambda_worker.handler",
      runtime: WorkerRuntime.PYTHON_3_13,
      // At most 5 concurrent invocations, and 5 reserved for them: Lambda never receives a message
      // it cannot run, so throttling never uses up a message's receives.
      reservedConcurrency: 5,
      maximumConcurrency: 5,
      memoryMb: 2048,
    });
    const fastAlarms = new AsyncAlarms(this, "FastAlarms", { name: `${id}-fast`, queue: fast.queue, maxMessageAgeSeconds: 300, lambdaWorkers: [lambdaWorker] });

    // --- slow: Fargate workers ------------------------------------------------------------------
    // Workers extend the visibility while they work (heartbeat), so 2 x the worst case suffices.
    const slow = this.pipeline("Slow", `${id}-slow`, { worstCaseProcessingSeconds: 1800, visibilityTimeoutFactor: 2 });
    const network = new Network(this, "Network", { name: id, availabilityZones: ["ap-northeast-1a", "ap-northeast-1c"], natGateways: NatGateways.NONE });
    // The AWS APIs the worker and the ECS agent call: queue, completions, logs, image pull, task
    // protection. Results (DynamoDB) and image layers (S3) go through Network's gateway endpoints.
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      services: ["sqs", "sns", "logs", "ecr.api", "ecr.dkr", "ecs"],
    });
    const workers = new AsyncQueueWorkerService(this, "SlowWorkers", {
      name: `${id}-slow-workers`,
      queue: slow.queue,
      table: slow.table,
      image: WORKER_IMAGE,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      endpoints,
      vcpus: 4,
      memoryMiB: 16384,
      minTasks: 0,
      maxTasks: 20,
      // Requests may wait 10 minutes; one takes 2 minutes on average: 5 messages per task.
      latencyGoalSeconds: 600,
      secondsPerMessage: 120,
    });
    // The workers' own error log lines (processing-error, compute-failed, ...) alarm too: a metric
    // filter on their log group counts them.
    const slowAlarms = new AsyncAlarms(this, "SlowAlarms", { name: `${id}-slow`, queue: slow.queue, maxMessageAgeSeconds: 900, containerWorkers: [workers] });

    // Everything a client and an operator need: where to submit, and what to redrive after a fix
    // (aws sqs start-message-move-task --source-arn <dead_letter_queue_arn>).
    for (const [key, pipeline] of [["fast", fast], ["slow", slow]] as const) {
      new TerraformOutput(this, `${key}_request_url`, { value: pipeline.api.functionUrl });
      new TerraformOutput(this, `${key}_queue_url`, { value: pipeline.queue.queueUrl });
      new TerraformOutput(this, `${key}_dead_letter_queue_arn`, { value: pipeline.queue.deadLetterQueueArn });
      new TerraformOutput(this, `${key}_results_table_name`, { value: pipeline.table.tableName });
      new TerraformOutput(this, `${key}_completions_topic_arn`, { value: pipeline.queue.completionsTopicArn });
    }
    new TerraformOutput(this, "fast_worker_function_name", { value: lambdaWorker.functionName });
    new TerraformOutput(this, "slow_worker_service_name", { value: workers.serviceName });
    new TerraformOutput(this, "slow_worker_cluster_name", { value: workers.clusterName });
    new TerraformOutput(this, "fast_alerts_topic_arn", { value: fastAlarms.topicArn });
    new TerraformOutput(this, "slow_alerts_topic_arn", { value: slowAlarms.topicArn });
  }

  /** A request API, its queue and its results table. */
  private pipeline(prefix: string, name: string, queueProps: Omit<AsyncRequestQueueProps, "name">) {
    const queue = new AsyncRequestQueue(this, `${prefix}Queue`, { name, ...queueProps });
    // Results kept a day; deletion protection off so the example can be destroyed.
    const table = new AsyncResultsTable(this, `${prefix}Results`, { name: `${name}-results`, resultTtlSeconds: 86_400, deletionProtection: false });
    const api = new AsyncRequestApi(this, `${prefix}Api`, { name: `${name}-api`, queue, table, reservedConcurrency: 10 });
    return { queue, table, api };
  }
}
