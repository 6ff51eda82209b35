import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AsyncComputeEvent } from "../../modules/async-contract";

/** The compute event as the SNS message (and, with raw delivery, the SQS message body). */
export function computeEventMessage(event: AsyncComputeEvent): string {
  return JSON.stringify({ requestId: event.requestId, payload: event.payload, submittedAt: event.submittedAt });
}

/** Publishes the compute event; resolves with the SNS message id. */
export async function publishComputeEvent(sns: SNSClient, topicArn: string, message: string): Promise<string | undefined> {
  const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
  return MessageId;
}
