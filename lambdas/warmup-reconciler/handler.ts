import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { jsonLogger } from "../shared/logger";
import { loadReconcilerConfig } from "./config";
import { ReconcileSummary, reconcile } from "./reconcile";

// Read once per cold start: a bad environment fails the first invocation with every problem listed.
const config = loadReconcilerConfig(process.env);
// Bounded calls: a run must end well before the next schedule tick.
const clientConfig = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: Math.min(2_000, config.awsRequestTimeoutMs), requestTimeout: config.awsRequestTimeoutMs, throwOnRequestTimeout: true },
};
const autoScaling = new AutoScalingClient(clientConfig);
const dynamodb = new DynamoDBClient(clientConfig);
const lambda = new LambdaClient(clientConfig);
// The queue is in the function's region: the client's endpoint is used, not the queue URL's host.
const sqs = new SQSClient({ ...clientConfig, useQueueUrlAsEndpoint: false });

interface LambdaContext {
  readonly awsRequestId: string;
}

/** The schedule's payload carries nothing the run needs: whatever it is, the run reads the group's state. */
export async function handler(_event: unknown, context: LambdaContext): Promise<ReconcileSummary> {
  const log = jsonLogger((line) => process.stdout.write(`${line}\n`), { requestId: context.awsRequestId });
  return reconcile({ config, autoScaling, dynamodb, lambda, sqs, now: () => Date.now(), log });
}
