import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";

/**
 * Clients with bounded calls: an unreachable or hanging endpoint fails within about
 * 2 x timeout, and the function answers 503 long before a client or the function times out.
 */
export function createClients(awsRequestTimeoutMs: number): { dynamodb: DynamoDBClient; sns: SNSClient } {
  const clientConfig = {
    maxAttempts: 2,
    // Newer SDKs only warn when requestTimeout passes unless told to throw.
    requestHandler: { connectionTimeout: Math.min(1_000, awsRequestTimeoutMs), requestTimeout: awsRequestTimeoutMs, throwOnRequestTimeout: true },
  };
  return { dynamodb: new DynamoDBClient(clientConfig), sns: new SNSClient(clientConfig) };
}
