import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { AsyncRequestApi, AsyncRequestApiProps, FunctionUrlAuth } from "../../modules/async-request-api";
import { count, single, synth } from "../support/synth";
import { TestGrantee, fakeCode, queueIn, statements, tableIn, warningsOf } from "../support/async";

const code = fakeCode();
afterAll(() => code.remove());

function api(overrides: Partial<AsyncRequestApiProps> = {}) {
  let built: AsyncRequestApi | undefined;
  const result = synth((scope: Construct) => {
    built = new AsyncRequestApi(scope, "Api", { name: "infer-api", queue: queueIn(scope), table: tableIn(scope), bundle: code.zip, ...overrides });
    built.grantInvokeUrl(new TestGrantee(scope, "Client"));
  });
  return { ...result, api: built as AsyncRequestApi };
}

describe("AsyncRequestApi", () => {
  test("GIVEN defaults WHEN synthesized THEN a Node.js 22 arm64 function with the contract's environment and JSON logs", () => {
    const { text } = api();
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "infer-api",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      timeout: 10,
      memory_size: 256,
      filename: expect.stringMatching(/^assets\/Api_Bundle_\w+\/[0-9A-F]+\/function\.zip$/),
      logging_config: { log_format: "JSON", log_group: expect.stringMatching(/aws_cloudwatch_log_group\.Api_LogGroup/) },
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          ASYNC_TABLE_NAME: expect.stringMatching(/aws_dynamodb_table\.Results_Table_\w+\.name/),
          ASYNC_REQUESTS_TOPIC_ARN: expect.stringMatching(/aws_sns_topic\.Requests_RequestsTopic_\w+\.arn/),
          ASYNC_MAX_BODY_BYTES: "65536",
          ASYNC_RESULT_TTL_SECONDS: "604800",
          ASYNC_AWS_TIMEOUT_MS: "1000",
        },
      },
    });
    expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/infer-api", retention_in_days: 30 });
  });

  test.each([
    [3, "300"],
    [10, "1000"],
    [60, "2000"],
  ])("GIVEN a %s s function timeout WHEN synthesized THEN eight AWS call timeouts fit in it (%s ms each)", (timeoutSeconds, awsTimeoutMs) => {
    const fn = Object.values(api({ timeoutSeconds }).json.resource?.aws_lambda_function ?? {})[0] as { environment: { variables: Record<string, string> } };
    expect(fn.environment.variables.ASYNC_AWS_TIMEOUT_MS).toBe(awsTimeoutMs);
  });

  test("GIVEN defaults WHEN synthesized THEN the function URL uses IAM auth and nothing grants public access", () => {
    const { text, json, api: a } = api();
    expect(text).toHaveResourceWithProperties(LambdaFunctionUrl, { authorization_type: "AWS_IAM", invoke_mode: "BUFFERED" });
    expect(count(json, "aws_lambda_permission")).toBe(0);
    expect(a.functionUrl).toBeDefined();
    expect(warningsOf(a)).toEqual([]);
  });

  test("GIVEN the role WHEN synthesized THEN it may read/write this table and publish to this requests topic only", () => {
    const { json } = api();
    expect(statements(json, "Api_GrantsPolicyDocument")).toEqual([
      { effect: "Allow", actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [expect.stringMatching(/^\$\{aws_dynamodb_table\.Results_Table_\w+\.arn\}$/)] },
      { effect: "Allow", actions: ["sns:Publish"], resources: [expect.stringMatching(/^\$\{aws_sns_topic\.Requests_RequestsTopic_\w+\.arn\}$/)] },
    ]);
    expect(statements(json, "Api_RuntimePolicyDocument")).toEqual([
      expect.objectContaining({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [expect.stringMatching(/aws_cloudwatch_log_group\.Api_LogGroup_\w+\.arn\}:\*$/)] }),
    ]);
    expect(single(json, "aws_lambda_function").depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/aws_iam_role_policy\.Api_GrantsPolicy/), expect.stringMatching(/aws_iam_role_policy\.Api_RuntimePolicy/)]),
    );
  });

  test("GIVEN grantInvokeUrl WHEN synthesized THEN the grantee may invoke this function through its IAM-authenticated URL only (both actions new URLs need)", () => {
    const { json } = api();
    expect(statements(json, "Client_GrantsPolicyDocument")).toEqual([
      {
        effect: "Allow",
        actions: ["lambda:InvokeFunctionUrl"],
        resources: [expect.stringMatching(/^\$\{aws_lambda_function\.Api_Function_\w+\.arn\}$/)],
        condition: [{ test: "StringEquals", variable: "lambda:FunctionUrlAuthType", values: ["AWS_IAM"] }],
      },
      {
        effect: "Allow",
        actions: ["lambda:InvokeFunction"],
        resources: [expect.stringMatching(/^\$\{aws_lambda_function\.Api_Function_\w+\.arn\}$/)],
        condition: [{ test: "Bool", variable: "lambda:InvokedViaFunctionUrl", values: ["true"] }],
      },
    ]);
  });

  test("GIVEN FunctionUrlAuth.NONE WHEN synthesized THEN a public URL with its InvokeFunctionUrl permission, and warnings (no auth; the InvokeFunction permission provider 5.x cannot write)", () => {
    const { text, api: a } = api({ authType: FunctionUrlAuth.NONE });
    expect(text).toHaveResourceWithProperties(LambdaFunctionUrl, { authorization_type: "NONE" });
    expect(text).toHaveResourceWithProperties(LambdaPermission, { action: "lambda:InvokeFunctionUrl", principal: "*", function_url_auth_type: "NONE" });
    expect(warningsOf(a)).toEqual([
      expect.stringMatching(/no authentication \(FunctionUrlAuth.NONE\)/),
      expect.stringMatching(/aws lambda add-permission --function-name infer-api .*--action lambda:InvokeFunction --principal "\*" --invoked-via-function-url/),
    ]);
  });

  test("GIVEN reserved concurrency and a body limit WHEN synthesized THEN both reach the function", () => {
    const { text } = api({ reservedConcurrency: 20, maxBodyBytes: 1000 });
    expect(text).toHaveResourceWithProperties(LambdaFunction, { reserved_concurrent_executions: 20, environment: { variables: expect.objectContaining({ ASYNC_MAX_BODY_BYTES: "1000" }) } });
  });

  test.each([
    ["a missing bundle", { bundle: "/nonexistent/async-request.zip" }, /invalid bundle.*npm run build/],
    ["a body over SNS's limit", { maxBodyBytes: 262144 }, /invalid maxBodyBytes = 262144.*256 KiB/],
    ["reserved concurrency 0", { reservedConcurrency: 0 }, /invalid reservedConcurrency = 0/],
    ["a 61 s timeout", { timeoutSeconds: 61 }, /invalid timeoutSeconds = 61/],
    ["64 MB of memory", { memoryMb: 64 }, /invalid memoryMb = 64/],
    ["a 2-day log retention", { logRetentionDays: 2 }, /invalid logRetentionDays = 2/],
    ["a 57-character name", { name: "a".repeat(57) }, /invalid name/],
  ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
    expect(() => api(overrides as Partial<AsyncRequestApiProps>)).toThrow(message);
  });
});
