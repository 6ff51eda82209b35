import { ASYNC_REQUEST_LIMITS, ConfigError, loadConfig } from "../../../lambdas/async-request/config";
import { TABLE, TOPIC_ARN } from "./fakes";

const base = { ASYNC_TABLE_NAME: TABLE, ASYNC_REQUESTS_TOPIC_ARN: TOPIC_ARN };

describe("loadConfig", () => {
  test("GIVEN only the table and topic WHEN loaded THEN the defaults apply (64 KiB bodies, 7 days, 2 s AWS timeout)", () => {
    expect(loadConfig(base)).toEqual({ tableName: TABLE, topicArn: TOPIC_ARN, maxBodyBytes: 65_536, resultTtlSeconds: 604_800, awsRequestTimeoutMs: 2_000 });
  });

  test("GIVEN every variable WHEN loaded THEN each is read", () => {
    const config = loadConfig({ ...base, ASYNC_MAX_BODY_BYTES: "262144", ASYNC_RESULT_TTL_SECONDS: "3600", ASYNC_AWS_TIMEOUT_MS: "500" });
    expect(config).toMatchObject({ maxBodyBytes: 262_144, resultTtlSeconds: 3600, awsRequestTimeoutMs: 500 });
  });

  test("GIVEN a body limit above SNS's 256 KiB WHEN loaded THEN it is refused with the allowed range", () => {
    expect(() => loadConfig({ ...base, ASYNC_MAX_BODY_BYTES: "262145" })).toThrow(/ASYNC_MAX_BODY_BYTES="262145" must be an integer from 1 to 262144/);
    expect(ASYNC_REQUEST_LIMITS.maxBodyBytes.max).toBe(256 * 1024);
  });

  test("GIVEN nothing set and bad numbers WHEN loaded THEN every problem is listed at once", () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ ASYNC_RESULT_TTL_SECONDS: "1.5", ASYNC_AWS_TIMEOUT_MS: "x" });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual([
      expect.stringMatching(/^ASYNC_TABLE_NAME is not set/),
      expect.stringMatching(/^ASYNC_REQUESTS_TOPIC_ARN is not set; it must be the ARN of a standard SNS topic/),
      expect.stringMatching(/^ASYNC_RESULT_TTL_SECONDS="1.5" must be an integer from 60 to 31536000/),
      expect.stringMatching(/^ASYNC_AWS_TIMEOUT_MS="x" must be an integer from 100 to 30000/),
    ]);
  });

  test.each([
    ["a queue ARN", "arn:aws:sqs:us-east-1:123456789012:requests"],
    ["a FIFO topic", "arn:aws:sns:us-east-1:123456789012:requests.fifo"],
    ["a topic name", "requests"],
  ])("GIVEN %s as the topic WHEN loaded THEN it is refused", (_label, arn) => {
    expect(() => loadConfig({ ...base, ASYNC_REQUESTS_TOPIC_ARN: arn })).toThrow(/ASYNC_REQUESTS_TOPIC_ARN=.* must be the ARN of a standard SNS topic/);
  });

  test("GIVEN a table name with a slash WHEN loaded THEN it is refused", () => {
    expect(() => loadConfig({ ...base, ASYNC_TABLE_NAME: "a/b" })).toThrow(/ASYNC_TABLE_NAME="a\/b" must be a DynamoDB table name/);
  });
});
