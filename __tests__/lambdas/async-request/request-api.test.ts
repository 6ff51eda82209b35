import { createHash } from "node:crypto";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { handleRequest } from "../../../lambdas/async-request/request-api";
import { HttpResponse } from "../../../lambdas/async-request/response";
import { functionUrlEvent } from "../../../testing/async-request-bundle";
import { FakeClock, NOW, TABLE, TOPIC_ARN, memoryLogger, storedItem, testConfig } from "./fakes";

const dynamoMock = mockClient(DynamoDBClient);
const snsMock = mockClient(SNSClient);
const DOMAIN = "abc123.lambda-url.us-east-1.on.aws";
const BODY = { features: [0.5, 0.25], model: "resnet" };
const BODY_TEXT = JSON.stringify(BODY);
const SHA = createHash("sha256").update(BODY_TEXT).digest("hex");
const ID = SHA.slice(0, 32);
const NOW_ISO = new Date(NOW).toISOString();
const NOW_S = Math.floor(NOW / 1000);

function setup(env: Record<string, string> = {}) {
  dynamoMock.reset();
  snsMock.reset();
  dynamoMock.on(GetItemCommand).resolves({});
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
  const log = memoryLogger();
  const clock = new FakeClock();
  const deps = { config: testConfig(env), dynamodb: new DynamoDBClient({}), sns: new SNSClient({}), clock, log };
  const call = async (event: unknown) => {
    const response = await handleRequest(event, deps);
    return { ...response, json: JSON.parse(response.body) };
  };
  return { call, log, clock };
}

const post = (options: { body?: unknown; headers?: Record<string, string>; base64?: boolean; idempotencyKey?: string; path?: string } = {}) =>
  functionUrlEvent({ method: "POST", path: options.path ?? "/requests", body: "body" in options ? options.body : BODY, domainName: DOMAIN, ...options });
const get = (id: string) => functionUrlEvent({ method: "GET", path: `/requests/${id}`, domainName: DOMAIN });

function expectError(response: HttpResponse & { json: unknown }, statusCode: number, code: string, message: RegExp): void {
  expect(response.statusCode).toBe(statusCode);
  expect(response.headers["content-type"]).toBe("application/json");
  expect(response.json).toEqual({ error: { code, message: expect.stringMatching(message) } });
}

function expectNoWrites(): void {
  expect(dynamoMock).not.toHaveReceivedCommand(PutItemCommand);
  expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
}

describe("handleRequest: submit (POST /requests)", () => {
  test("GIVEN a new JSON body WHEN submitted THEN it reads consistently, creates the queued record conditionally, publishes the compute event and answers 202", async () => {
    const { call, log } = setup();
    const response = await call(post());
    expect(response.statusCode).toBe(202);
    expect(response.json).toEqual({ requestId: ID, status: "queued", statusUrl: `https://${DOMAIN}/requests/${ID}` });
    expect(response.headers.location).toBe(`https://${DOMAIN}/requests/${ID}`);
    expect(dynamoMock).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { requestId: { S: ID } }, ConsistentRead: true });
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        requestId: { S: ID },
        status: { S: "queued" },
        statusRank: { N: "0" },
        createdAt: { S: NOW_ISO },
        updatedAt: { S: NOW_ISO },
        expiresAt: { N: String(NOW_S + 604_800) },
        payloadSha256: { S: SHA },
      },
      ConditionExpression: "attribute_not_exists(#id) OR #expiresAt <= :now",
      ExpressionAttributeValues: { ":now": { N: String(NOW_S) } },
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const message = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(message.TopicArn).toBe(TOPIC_ARN);
    expect(JSON.parse(message.Message as string)).toEqual({ requestId: ID, payload: BODY, submittedAt: NOW_ISO });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: "INFO", message: "request queued", requestId: ID, messageId: "m-1" }));
    expect(log.lines).toContainEqual(expect.objectContaining({ message: "request handled", method: "POST", path: "/requests", statusCode: 202 }));
  });

  test.each([["/"], ["/requests/"]])("GIVEN POST %s WHEN submitted THEN it is the same submit route", async (path) => {
    const { call } = setup();
    const response = await call(post({ path }));
    expect(response.statusCode).toBe(202);
    expect(response.json.requestId).toBe(ID);
  });

  test("GIVEN a custom result TTL WHEN submitted THEN expiresAt is now + that TTL", async () => {
    const { call } = setup({ ASYNC_RESULT_TTL_SECONDS: "3600" });
    await call(post());
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, { Item: expect.objectContaining({ expiresAt: { N: String(NOW_S + 3600) } }) });
  });

  test("GIVEN a base64-encoded body WHEN submitted THEN it is decoded: same id and payload as the plain body", async () => {
    const { call } = setup();
    const response = await call(post({ base64: true }));
    expect(response.statusCode).toBe(202);
    expect(response.json.requestId).toBe(ID);
    expect(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message as string).payload).toEqual(BODY);
  });

  test("GIVEN content-type application/json; charset=UTF-8 WHEN submitted THEN it is accepted", async () => {
    const { call } = setup();
    expect((await call(post({ headers: { "content-type": "Application/JSON; charset=UTF-8" } }))).statusCode).toBe(202);
  });

  describe("the request id", () => {
    test("GIVEN an idempotency-key header WHEN submitted THEN it is the request id, not the body hash", async () => {
      const { call } = setup();
      const response = await call(post({ idempotencyKey: "order-42_retry" }));
      expect(response.json).toMatchObject({ requestId: "order-42_retry", statusUrl: `https://${DOMAIN}/requests/order-42_retry` });
      expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, { Item: expect.objectContaining({ requestId: { S: "order-42_retry" }, payloadSha256: { S: SHA } }) });
    });

    test("GIVEN the same key with another body WHEN submitted again THEN it answers 409 and computes nothing", async () => {
      const { call } = setup();
      dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: "order-42", status: "queued", payloadSha256: "f".repeat(64) }) });
      expectError(await call(post({ idempotencyKey: "order-42" })), 409, "IdempotencyKeyReused", /idempotency-key order-42 was already used for a request with a different body; use a new key/);
      expectNoWrites();
    });

    test("GIVEN two bodies that differ only in whitespace WHEN submitted without a key THEN they are two requests (the hash is of the bytes)", async () => {
      const { call } = setup();
      const a = await call(post({ body: '{"a":1}' }));
      const b = await call(post({ body: '{ "a": 1 }' }));
      expect(a.json.requestId).not.toBe(b.json.requestId);
      expect(a.json.requestId).toBe(createHash("sha256").update('{"a":1}').digest("hex").slice(0, 32));
    });

    test.each([
      ["a space", "has space"],
      ["129 characters", "k".repeat(129)],
      ["an empty value", ""],
      ["a slash", "a/b"],
      ["two values joined by a comma", "a,b"],
    ])("GIVEN an idempotency-key with %s WHEN submitted THEN it answers 400 naming the allowed form", async (_label, key) => {
      const { call } = setup();
      expectError(await call(post({ idempotencyKey: key })), 400, "InvalidIdempotencyKey", /idempotency-key header .* is malformed; it must be 1 to 128 letters, digits, "-" or "_"/);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe("bad input", () => {
    test.each([
      ["no content-type", {}, /the content-type header is missing/],
      ["text/plain", { "content-type": "text/plain" }, /content-type "text\/plain" is not accepted/],
      ["form data", { "content-type": "application/x-www-form-urlencoded" }, /not accepted/],
      ["JSON in latin1", { "content-type": "application/json; charset=iso-8859-1" }, /has a charset other than utf-8/],
    ])("GIVEN %s WHEN submitted THEN 415 names what is accepted", async (_label, headers, message) => {
      const { call } = setup();
      const event = post({ headers });
      if (!("content-type" in headers)) delete (event.headers as Record<string, string>)["content-type"];
      const response = await call(event);
      expectError(response, 415, "UnsupportedMediaType", message);
      expect(response.json.error.message).toMatch(/content-type: application\/json/);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    test.each([
      ["no body", undefined],
      ["an empty body", ""],
    ])("GIVEN %s WHEN submitted THEN 400 MissingBody", async (_label, body) => {
      const { call } = setup();
      const event = post({ body, headers: { "content-type": "application/json" } });
      expectError(await call(event), 400, "MissingBody", /the request has no body; POST the inference input as a JSON document/);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    test("GIVEN a body that is not JSON WHEN submitted THEN 400 InvalidJson with the parser's reason", async () => {
      const { call } = setup();
      expectError(await call(post({ body: "{features: [1" })), 400, "InvalidJson", /the body is not valid JSON \(.+\)/);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    test("GIVEN the default 64 KiB limit WHEN a body of 64 KiB + 1 byte is submitted THEN 413 names both sizes", async () => {
      const { call } = setup();
      const body = JSON.stringify({ x: "a".repeat(65_537 - 8) });
      expect(Buffer.byteLength(body)).toBe(65_537);
      expectError(await call(post({ body })), 413, "BodyTooLarge", /the body is 65537 bytes; at most 65536 bytes are accepted/);
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    test("GIVEN a 100-byte limit WHEN a body of exactly 100 bytes is submitted THEN it is accepted, and 101 is not", async () => {
      const { call } = setup({ ASYNC_MAX_BODY_BYTES: "100" });
      const exact = JSON.stringify({ x: "a".repeat(100 - 8) });
      expect((await call(post({ body: exact }))).statusCode).toBe(202);
      expect((await call(post({ body: JSON.stringify({ x: "a".repeat(101 - 8) }) }))).statusCode).toBe(413);
    });

    test("GIVEN a base64 body WHEN its decoded size is within the limit THEN it is accepted though the encoded text is larger", async () => {
      const { call } = setup({ ASYNC_MAX_BODY_BYTES: "100" });
      const body = JSON.stringify({ x: "a".repeat(92) });
      const event = post({ body, base64: true });
      expect((event.body as string).length).toBeGreaterThan(100);
      expect((await call(event)).statusCode).toBe(202);
    });

    test("GIVEN the 256 KiB maximum WHEN the compute event around the body would exceed SNS's limit THEN 413 and nothing is recorded", async () => {
      const { call } = setup({ ASYNC_MAX_BODY_BYTES: "262144" });
      const body = JSON.stringify({ x: "a".repeat(262_144 - 8) });
      expectError(await call(post({ body })), 413, "BodyTooLarge", /the compute event for this body is \d+ bytes, above the 262144-byte SNS message limit/);
      expectNoWrites();
    });
  });

  describe("requests already known", () => {
    test("GIVEN a succeeded request WHEN the same body is submitted THEN 200 with the result, nothing written or published", async () => {
      const { call } = setup();
      dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status: "succeeded", result: '{"label":"cat","score":0.9}', payloadSha256: SHA }) });
      const response = await call(post());
      expect(response.statusCode).toBe(200);
      expect(response.json).toEqual({
        requestId: ID,
        status: "succeeded",
        createdAt: "2026-11-23T15:59:00.000Z",
        updatedAt: "2026-11-23T15:59:30.000Z",
        result: { label: "cat", score: 0.9 },
        statusUrl: `https://${DOMAIN}/requests/${ID}`,
      });
      expectNoWrites();
    });

    test("GIVEN a failed request WHEN the same body is submitted THEN 200 with the error (a new key starts a new computation)", async () => {
      const { call } = setup();
      dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status: "failed", error: "model crashed" }) });
      const response = await call(post());
      expect(response.statusCode).toBe(200);
      expect(response.json).toMatchObject({ status: "failed", error: "model crashed" });
      expect(response.json.result).toBeUndefined();
      expectNoWrites();
    });

    test.each([["queued"], ["running"]])("GIVEN a %s request WHEN the same body is submitted THEN 202 with its status, not published again", async (status) => {
      const { call } = setup();
      dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status, payloadSha256: SHA }) });
      const response = await call(post());
      expect(response.statusCode).toBe(202);
      expect(response.json).toMatchObject({ requestId: ID, status, statusUrl: `https://${DOMAIN}/requests/${ID}` });
      expect(response.headers.location).toBe(`https://${DOMAIN}/requests/${ID}`);
      expectNoWrites();
    });

    test("GIVEN an expired record TTL has not deleted yet WHEN the body is submitted THEN it is recorded and published anew", async () => {
      const { call } = setup();
      dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status: "succeeded", result: "1", expiresAt: NOW_S - 1 }) });
      const response = await call(post());
      expect(response.statusCode).toBe(202);
      expect(dynamoMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    test("GIVEN a concurrent duplicate created the record first WHEN the conditional write fails THEN it re-reads, answers like a duplicate and does not publish", async () => {
      const { call, log } = setup();
      dynamoMock.on(GetItemCommand).resolvesOnce({}).resolves({ Item: storedItem({ requestId: ID, status: "queued", payloadSha256: SHA }) });
      dynamoMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
      const response = await call(post());
      expect(response.statusCode).toBe(202);
      expect(response.json).toMatchObject({ requestId: ID, status: "queued" });
      expect(dynamoMock).toHaveReceivedCommandTimes(GetItemCommand, 2);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(log.lines).toContainEqual(expect.objectContaining({ message: "concurrent duplicate; not published", requestId: ID }));
    });

    test("GIVEN the concurrent creator removed its record (its publish failed) WHEN re-read THEN 503 asks to retry", async () => {
      const { call } = setup();
      dynamoMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
      const response = await call(post());
      expectError(response, 503, "ServiceUnavailable", /is being submitted by another call that failed; retry/);
      expect(response.headers["retry-after"]).toBe("1");
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });
  });

  describe("failures", () => {
    test("GIVEN SNS refuses the publish WHEN submitted THEN the record just created is deleted (conditionally) and 503 asks to retry", async () => {
      const { call, log } = setup();
      snsMock.on(PublishCommand).rejects(Object.assign(new Error("Internal failure"), { name: "InternalErrorException", $fault: "server" }));
      const response = await call(post());
      expectError(response, 503, "ServiceUnavailable", new RegExp(`request ${ID} could not be queued .* nothing was recorded, retry`));
      expect(response.headers["retry-after"]).toBe("1");
      expect(dynamoMock).toHaveReceivedCommandWith(DeleteItemCommand, {
        TableName: TABLE,
        Key: { requestId: { S: ID } },
        ConditionExpression: "#status = :queued AND #createdAt = :createdAt",
        ExpressionAttributeValues: { ":queued": { S: "queued" }, ":createdAt": { S: NOW_ISO } },
      });
      expect(log.lines).toContainEqual(expect.objectContaining({ level: "ERROR", message: "could not publish the compute event", requestId: ID, recordRemoved: true, errorName: "InternalErrorException" }));
    });

    test("GIVEN the publish and then the delete fail WHEN submitted THEN 503 and an ERROR log names the orphaned record", async () => {
      const { call, log } = setup();
      snsMock.on(PublishCommand).rejects(Object.assign(new Error("timeout"), { name: "TimeoutError" }));
      dynamoMock.on(DeleteItemCommand).rejects(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
      expect((await call(post())).statusCode).toBe(503);
      expect(log.lines).toContainEqual(expect.objectContaining({ level: "ERROR", message: expect.stringMatching(/could not remove the record of an unpublished request/), requestId: ID }));
    });

    test.each([
      ["throttled", new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: {} }), 503, "ServiceUnavailable", /results store is unavailable or throttled \(request \w+\); retry/],
      ["unreachable", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), 503, "ServiceUnavailable", /retry/],
      ["denied", Object.assign(new Error("not authorized"), { name: "AccessDeniedException", $fault: "client" }), 500, "InternalError", /results store refused the call .*logs have the cause/],
    ])("GIVEN DynamoDB %s on the read WHEN submitted THEN a JSON %s, logged with the request id, never a throw", async (_label, error, statusCode, code, message) => {
      const { call, log } = setup();
      dynamoMock.on(GetItemCommand).rejects(error);
      const response = await call(post());
      expectError(response, statusCode, code, message);
      expect(log.lines).toContainEqual(expect.objectContaining({ level: "ERROR", message: "could not read the request record", requestId: ID }));
      expectNoWrites();
    });

    test("GIVEN the conditional write fails for another reason WHEN submitted THEN 503 and nothing is published", async () => {
      const { call } = setup();
      dynamoMock.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: {} }));
      expect((await call(post())).statusCode).toBe(503);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });
  });
});

describe("handleRequest: status (GET /requests/{id})", () => {
  test("GIVEN an unknown id WHEN read THEN 404 NotFound naming the id", async () => {
    const { call } = setup();
    expectError(await call(get("nope")), 404, "NotFound", /no request nope: it was never submitted, or its record expired after 604800 seconds/);
    expect(dynamoMock).toHaveReceivedCommandWith(GetItemCommand, { Key: { requestId: { S: "nope" } }, ConsistentRead: true });
  });

  test.each([
    ["queued", {}, {}],
    ["running", {}, {}],
    ["succeeded", { result: '{"label":"dog"}' }, { result: { label: "dog" } }],
    ["failed", { error: "out of memory" }, { error: "out of memory" }],
  ])("GIVEN a %s request WHEN read THEN 200 with its status, times and outcome", async (status, stored, expected) => {
    const { call } = setup();
    dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status, ...stored }) });
    const response = await call(get(ID));
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.json).toEqual({ requestId: ID, status, createdAt: "2026-11-23T15:59:00.000Z", updatedAt: "2026-11-23T15:59:30.000Z", ...expected });
  });

  test("GIVEN a stored result that is not JSON WHEN read THEN it is returned as text with a warning", async () => {
    const { call, log } = setup();
    dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status: "succeeded", result: "not json" }) });
    expect((await call(get(ID))).json.result).toBe("not json");
    expect(log.lines).toContainEqual(expect.objectContaining({ level: "WARN", requestId: ID }));
  });

  test("GIVEN an expired record WHEN read THEN 404", async () => {
    const { call } = setup();
    dynamoMock.on(GetItemCommand).resolves({ Item: storedItem({ requestId: ID, status: "succeeded", result: "1", expiresAt: NOW_S }) });
    expect((await call(get(ID))).statusCode).toBe(404);
  });

  test("GIVEN an id with characters ids never have WHEN read THEN 400 without a read", async () => {
    const { call } = setup();
    expectError(await call(get("bad%20id")), 400, "InvalidRequestId", /"bad id" is not a request id; ids are 1 to 128 letters, digits/);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  test("GIVEN DynamoDB throttles WHEN read THEN 503 with retry-after", async () => {
    const { call } = setup();
    dynamoMock.on(GetItemCommand).rejects(new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: {} }));
    const response = await call(get(ID));
    expectError(response, 503, "ServiceUnavailable", /retry/);
    expect(response.headers["retry-after"]).toBe("1");
  });
});

describe("handleRequest: routing and malformed events", () => {
  test.each([
    ["GET", "/requests", "POST"],
    ["GET", "/", "POST"],
    ["PUT", "/requests", "POST"],
    ["DELETE", `/requests/${ID}`, "GET"],
    ["POST", `/requests/${ID}`, "GET"],
  ])("GIVEN %s %s WHEN handled THEN 405 with an allow header", async (method, path, allow) => {
    const { call } = setup();
    const response = await call(functionUrlEvent({ method, path }));
    expectError(response, 405, "MethodNotAllowed", new RegExp(`${method} is not allowed on .*; use ${allow}`));
    expect(response.headers.allow).toBe(allow);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  test.each([["/other"], ["/requests/a/b"], ["/requestsx"]])("GIVEN GET %s WHEN handled THEN 404 RouteNotFound listing the routes", async (path) => {
    const { call } = setup();
    expectError(await call(functionUrlEvent({ method: "GET", path })), 404, "RouteNotFound", /the routes are POST \/requests \(submit\) and GET \/requests\/\{id\} \(status\)/);
  });

  test.each([
    ["null", null],
    ["a string", "hello"],
    ["an array", []],
    ["an EventBridge event", { source: "aws.autoscaling", detail: {} }],
    ["an API Gateway v1 event", { httpMethod: "GET", path: "/requests/x", requestContext: { stage: "prod" } }],
    ["a body that is not a string", { ...functionUrlEvent({ method: "POST", path: "/requests" }), body: { a: 1 } }],
    ["no path", { requestContext: { http: { method: "GET" } } }],
  ])("GIVEN %s as the event WHEN handled THEN 400 BadEvent, no AWS call", async (_label, event) => {
    const { call, log } = setup();
    expectError(await call(event), 400, "BadEvent", /this function answers HTTP requests from its function URL only/);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    expect(log.lines[0]).toMatchObject({ level: "WARN", message: "malformed event" });
  });

  test("GIVEN an event without a domain name WHEN submitted THEN the status URL is relative", async () => {
    const { call } = setup();
    const event = post();
    delete (event.requestContext as Record<string, unknown>).domainName;
    expect((await call(event)).json.statusUrl).toBe(`/requests/${ID}`);
  });

  test("GIVEN a bug below the router WHEN handled THEN 500 JSON, not a throw", async () => {
    const { call, clock } = setup();
    let calls = 0;
    clock.now = () => {
      calls += 1;
      if (calls === 2) throw new Error("clock broke");
      return NOW;
    };
    expectError(await call(post()), 500, "InternalError", /unexpected error; quote request local-\w+ when reporting it/);
  });
});
