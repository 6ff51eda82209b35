import { ChangeMessageVisibilityCommand, DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { queueDepth } from "./local-async-resources";

/**
 * A model of the Lambda event source mapping's SQS poller, run against a real SQS API (the
 * emulator), to show the dead-letter-queue pitfall and its fix.
 *
 * What Lambda does: for a standard queue, the event source mapping runs its own pollers (at least
 * five, scaling up with the backlog), independent of the function's concurrency. Each poller
 * receives a batch and invokes the function synchronously. When the function is at its reserved
 * concurrency, the invocation is throttled; the poller drops the batch and the messages return to
 * the queue when their visibility timeout expires, without being deleted. The receive already
 * happened, so ApproximateReceiveCount went up; once it passes the redrive policy's
 * maxReceiveCount, SQS moves the message to the dead-letter queue on its next receive, although
 * the function never ran it.
 *
 * What maximum_concurrency changes (scaling_config.maximum_concurrency, 2 to 1000): the event
 * source mapping itself stops receiving once that many invocations are in flight, so no batch is
 * received without a free execution, and receives only count real attempts.
 *
 * The model is a deterministic loop of ticks, one step at a time (no timers): in each tick,
 * finished executions delete their message, then the pollers receive (each one message, batch
 * size 1); a message that finds a free execution starts (it runs `executionTicks` ticks), the
 * others are throttled and given back at once (ChangeMessageVisibility 0: the visibility timeout
 * expiring, without the wait).
 */
export interface PollerModel {
  /** Receives per tick: the event source mapping's pollers. */
  readonly pollers: number;
  /** Executions that can run at once: the function's reserved concurrency. */
  readonly concurrency: number;
  /** Ticks one execution takes. */
  readonly executionTicks: number;
  /** Set: the poller never receives more messages than there are free executions. */
  readonly maximumConcurrency?: number;
  /** Bound of the simulation. @default 500 */
  readonly maxTicks?: number;
}

export interface PollerRun {
  /** Message bodies the function processed (and deleted). */
  readonly processed: string[];
  /** Receives that found no free execution. */
  readonly throttledReceives: number;
  readonly ticks: number;
}

export async function runPollerModel(sqs: SQSClient, queueUrl: string, model: PollerModel): Promise<PollerRun> {
  const running: Array<{ message: Message; ticksLeft: number }> = [];
  const processed: string[] = [];
  let throttledReceives = 0;
  const maxTicks = model.maxTicks ?? 500;
  for (let tick = 1; tick <= maxTicks; tick++) {
    // Executions that are done delete their message: processed.
    for (const execution of running.filter((e) => e.ticksLeft === 0)) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: execution.message.ReceiptHandle }));
      processed.push(execution.message.Body ?? "");
      running.splice(running.indexOf(execution), 1);
    }
    const depth = await queueDepth(sqs, queueUrl);
    if (running.length === 0 && depth.visible + depth.inFlight + depth.delayed === 0) {
      return { processed, throttledReceives, ticks: tick };
    }
    // With maximum_concurrency, the mapping receives only while fewer invocations are in flight.
    const receives = model.maximumConcurrency === undefined ? model.pollers : Math.max(0, Math.min(model.pollers, model.maximumConcurrency - running.length));
    for (let i = 0; i < receives; i++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
      for (const message of Messages) {
        if (running.length < model.concurrency) {
          running.push({ message, ticksLeft: model.executionTicks });
        } else {
          // Throttled (TooManyRequestsException): the batch goes back to the queue, receive counted.
          throttledReceives++;
          await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
        }
      }
    }
    for (const execution of running) execution.ticksLeft--;
  }
  throw new Error(`the poller model did not drain the queue in ${maxTicks} ticks`);
}
