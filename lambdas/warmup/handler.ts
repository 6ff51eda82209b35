import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { systemClock } from "./clock";
import { loadConfig } from "./config";
import { httpRequest } from "./http";
import { jsonLogger } from "./logger";
import { EventResult, processEvent } from "./process-event";

// Read once per cold start: a bad environment fails the first invocation with every problem listed.
const config = loadConfig(process.env, __dirname);
const ec2 = new EC2Client({});
const autoScaling = new AutoScalingClient({});

interface LambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export async function handler(event: unknown, context: LambdaContext): Promise<EventResult> {
  const log = jsonLogger((line) => process.stdout.write(`${line}\n`), { requestId: context.awsRequestId });
  return processEvent(event, Date.now() + context.getRemainingTimeInMillis(), { config, ec2, autoScaling, http: httpRequest, clock: systemClock, log });
}
