import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { randomUUID } from "node:crypto";
import { systemClock } from "./clock";
import { loadConfig } from "./config";
import { httpRequest } from "./http";
import { jsonLogger } from "../shared/logger";
import { EventResult, processEvent } from "./process-event";

// Read once per cold start: a bad environment fails the first invocation with every problem listed.
const config = loadConfig(process.env, __dirname);
// Bounded calls: an unreachable endpoint must fail in seconds, not hang until the function's
// own timeout with the instance still waiting.
const clientConfig = {
  maxAttempts: 3,
  // Newer SDKs only warn when requestTimeout passes unless told to throw.
  requestHandler: { connectionTimeout: Math.min(2_000, config.awsRequestTimeoutMs), requestTimeout: config.awsRequestTimeoutMs, throwOnRequestTimeout: true },
};
const ec2 = new EC2Client(clientConfig);
const autoScaling = new AutoScalingClient(clientConfig);
const dynamodb = new DynamoDBClient(clientConfig);
const ecs = config.mode === "ECS_HOST" ? new ECSClient(clientConfig) : undefined;

interface LambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export async function handler(event: unknown, context: LambdaContext): Promise<EventResult> {
  const log = jsonLogger((line) => process.stdout.write(`${line}\n`), { requestId: context.awsRequestId });
  return processEvent(event, Date.now() + context.getRemainingTimeInMillis(), {
    config,
    ec2,
    autoScaling,
    dynamodb,
    ecs,
    // Lambda's retries of an async event keep its request id: the nonce tells the attempts apart.
    invocationId: `${context.awsRequestId}/${randomUUID()}`,
    http: httpRequest,
    clock: systemClock,
    log,
  });
}
