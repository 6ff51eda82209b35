import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AsyncLambdaWorker, AsyncLambdaWorkerProps, LambdaArchitecture, WorkerRuntime } from "../../modules/async-lambda-worker";
import { AsyncRequestQueueProps } from "../../modules/async-request-queue";
import { single, synth } from "../support/synth";
import { fakeCode, queueIn, statements, tableIn, warningsOf } from "../support/async";

const code = fakeCode();
const emptyDir = mkdtempSync(join(tmpdir(), "async-empty-"));
afterAll(() => {
  code.remove();
  rmSync(emptyDir, { recursive: true, force: true });
});

function worker(overrides: Partial<AsyncLambdaWorkerProps> = {}, queueProps: Partial<AsyncRequestQueueProps> = {}) {
  let built: AsyncLambdaWorker | undefined;
  const result = synth((scope: Construct) => {
    built = new AsyncLambdaWorker(scope, "Worker", {
      name: "infer-worker",
      queue: queueIn(scope, queueProps),
      table: tableIn(scope),
      code: code.dir,
      handler: "lambda_worker.handler",
      ...overrides,
    });
  });
  return { ...result, worker: built as AsyncLambdaWorker };
}

describe("AsyncLambdaWorker", () => {
  test("GIVEN reserved concurrency WHEN synthesized THEN the event source mapping's maximum concurrency equals it and failures are reported per message", () => {
    const { text, worker: w } = worker({ reservedConcurrency: 4 });
    expect(text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: expect.stringMatching(/aws_sqs_queue\.Requests_Queue_\w+\.arn/),
      function_name: expect.stringMatching(/aws_lambda_function\.Worker_Function_\w+\.arn/),
      scaling_config: { maximum_concurrency: 4 },
      function_response_types: ["ReportBatchItemFailures"],
      batch_size: 1,
      maximum_batching_window_in_seconds: 0,
    });
    expect(text).toHaveResourceWithProperties(LambdaFunction, { reserved_concurrent_executions: 4 });
    expect(w.maximumConcurrency).toBe(4);
  });

  test("GIVEN defaults WHEN synthesized THEN a Python 3.13 arm64 function timed to the queue's worst case, with the worker contract's environment", () => {
    const { text, worker: w } = worker();
    expect(w.timeoutSeconds).toBe(120);
    expect(w.maximumConcurrency).toBe(10);
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "infer-worker",
      runtime: "python3.13",
      architectures: ["arm64"],
      handler: "lambda_worker.handler",
      timeout: 120,
      memory_size: 1024,
      filename: expect.stringMatching(/^assets\/Worker_Code_\w+\/[0-9A-F]+\/warmfleet-code-[0-9a-f]{16}\.zip$/),
      environment: {
        variables: {
          ASYNC_QUEUE_URL: expect.stringMatching(/aws_sqs_queue\.Requests_Queue_\w+\.url/),
          ASYNC_TABLE_NAME: expect.stringMatching(/aws_dynamodb_table\.Results_Table_\w+\.name/),
          ASYNC_COMPLETIONS_TOPIC_ARN: expect.stringMatching(/aws_sns_topic\.Requests_CompletionsTopic_\w+\.arn/),
          ASYNC_VISIBILITY_TIMEOUT_SECONDS: "720",
          ASYNC_RESULT_TTL_SECONDS: "604800",
        },
      },
    });
  });

  test("GIVEN the role WHEN synthesized THEN it may consume this queue, update this table and publish completions, and the mapping waits for it", () => {
    const { json } = worker();
    expect(statements(json, "Worker_GrantsPolicyDocument")).toEqual([
      {
        effect: "Allow",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [expect.stringMatching(/^\$\{aws_sqs_queue\.Requests_Queue_\w+\.arn\}$/)],
      },
      { effect: "Allow", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [expect.stringMatching(/^\$\{aws_dynamodb_table\.Results_Table_\w+\.arn\}$/)] },
      { effect: "Allow", actions: ["sns:Publish"], resources: [expect.stringMatching(/^\$\{aws_sns_topic\.Requests_CompletionsTopic_\w+\.arn\}$/)] },
    ]);
    expect(single(json, "aws_lambda_event_source_mapping").depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.Worker_GrantsPolicy_\w+$/)]);
  });

  test("GIVEN a zip, Node.js, x86, batching and extra environment WHEN synthesized THEN they are used", () => {
    const { text } = worker({
      code: code.zip,
      handler: "index.handler",
      runtime: WorkerRuntime.NODEJS_22,
      architecture: LambdaArchitecture.X86_64,
      batchSize: 20,
      batchingWindowSeconds: 2,
      maximumConcurrency: 50,
      timeoutSeconds: 60,
      environment: { MODEL_URI: "s3://models/a/" },
    });
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      runtime: "nodejs22.x",
      architectures: ["x86_64"],
      timeout: 60,
      filename: expect.stringMatching(/function\.zip$/),
      environment: { variables: expect.objectContaining({ MODEL_URI: "s3://models/a/" }) },
    });
    expect(text).toHaveResourceWithProperties(LambdaEventSourceMapping, { batch_size: 20, maximum_batching_window_in_seconds: 2, scaling_config: { maximum_concurrency: 50 } });
  });

  test("GIVEN a timeout below the queue's worst case WHEN synthesized THEN a warning", () => {
    expect(warningsOf(worker({ timeoutSeconds: 60 }).worker)).toEqual([expect.stringMatching(/timeoutSeconds 60 is below the queue's worstCaseProcessingSeconds 120/)]);
  });

  describe("validation", () => {
    test("GIVEN a function timeout above a sixth of the visibility timeout WHEN constructed THEN it throws naming both values and the fix", () => {
      expect(() => worker({ timeoutSeconds: 300 }, { worstCaseProcessingSeconds: 300, visibilityTimeoutFactor: 2 })).toThrow(
        /invalid timeoutSeconds = 300\. Allowed: at most 100 s: the queue's visibility timeout \(600 s\) must be at least 6 x the function timeout plus the batching window \(1800 s\).*Fix: lower timeoutSeconds to 100 or less, or raise the queue's worstCaseProcessingSeconds or visibilityTimeoutFactor so its visibility timeout is at least 1800 s/,
      );
    });

    test("GIVEN a batching window WHEN the visibility timeout covers 6 x the timeout but not the window too THEN it throws", () => {
      expect(() => worker({ timeoutSeconds: 100, batchingWindowSeconds: 20 }, { worstCaseProcessingSeconds: 300, visibilityTimeoutFactor: 2 })).toThrow(
        /invalid timeoutSeconds = 100\. Allowed: at most 96 s: .*plus the batching window \(620 s\)/,
      );
    });

    test("GIVEN maximum concurrency above reserved concurrency WHEN constructed THEN it throws explaining the dead-letter flood", () => {
      expect(() => worker({ reservedConcurrency: 2, maximumConcurrency: 5 })).toThrow(
        /invalid maximumConcurrency = 5\. Allowed: at most reservedConcurrency \(2\): above it Lambda throttles.*count toward maxReceiveCount.*Fix: set maximumConcurrency to 2 or less, or raise reservedConcurrency to 5/,
      );
    });

    test.each([
      ["reserved concurrency 1", { reservedConcurrency: 1 }, /invalid reservedConcurrency = 1/],
      ["reserved concurrency 0", { reservedConcurrency: 0 }, /invalid reservedConcurrency = 0.*throttle every message/],
      ["maximum concurrency 1", { maximumConcurrency: 1 }, /invalid maximumConcurrency = 1.*2 to 1000/],
      ["maximum concurrency 1001", { maximumConcurrency: 1001 }, /invalid maximumConcurrency = 1001/],
      ["a batch of 11 without a window", { batchSize: 11 }, /invalid batchingWindowSeconds = 0.*above 10/],
      ["a batch of 10001", { batchSize: 10001, batchingWindowSeconds: 1 }, /invalid batchSize = 10001/],
      ["a window of 301 s", { batchingWindowSeconds: 301 }, /invalid batchingWindowSeconds = 301/],
      ["a timeout of 901 s", { timeoutSeconds: 901 }, /invalid timeoutSeconds = 901/],
      ["a handler without a function", { handler: "lambda_worker" }, /invalid handler = "lambda_worker"/],
      ["a missing code path", { code: "/nonexistent/worker" }, /invalid code = "\/nonexistent\/worker"/],
      ["a contract variable in environment", { environment: { ASYNC_QUEUE_URL: "x" } }, /invalid environment = "ASYNC_QUEUE_URL"/],
      ["64 MB of memory", { memoryMb: 64 }, /invalid memoryMb = 64/],
      ["a 2-day log retention", { logRetentionDays: 2 }, /invalid logRetentionDays = 2/],
      ["a 57-character name", { name: "w".repeat(57) }, /invalid name/],
      ["an empty code directory", { code: emptyDir }, /invalid code = .*a directory with at least one file/],
    ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
      expect(() => worker(overrides as Partial<AsyncLambdaWorkerProps>)).toThrow(message);
    });

    test("GIVEN a queue whose worst case exceeds Lambda's 900 s WHEN constructed without a timeout THEN it throws pointing to the ECS worker", () => {
      expect(() => worker({}, { worstCaseProcessingSeconds: 1200, visibilityTimeoutFactor: 6 })).toThrow(/invalid timeoutSeconds \(from queue.worstCaseProcessingSeconds\) = 1200.*AsyncQueueWorkerService/);
    });
  });
});
