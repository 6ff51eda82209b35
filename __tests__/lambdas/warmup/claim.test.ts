import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { AutoScalingClient, CompleteLifecycleActionCommand, DescribeAutoScalingInstancesCommand, RecordLifecycleActionHeartbeatCommand } from "@aws-sdk/client-auto-scaling";
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { claimInstance } from "../../../lambdas/warmup/claim";
import { loadConfig } from "../../../lambdas/warmup/config";
import { processEvent } from "../../../lambdas/warmup/process-event";
import { FakeClock, fakeHttp, lifecycleEvent, memoryLogger } from "./fakes";

const dynamodbMock = mockClient(DynamoDBClient);
const autoScalingMock = mockClient(AutoScalingClient);
const ec2Mock = mockClient(EC2Client);
const INSTANCE = "i-0123456789abcdef0";
const NOW = 1_700_000_000_000;

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ $metadata: {}, message: "The conditional request failed" });
}

describe("claimInstance", () => {
  beforeEach(() => dynamodbMock.reset());
  const request = { table: "fleet-warmup-claims", instanceId: INSTANCE, owner: "req-1", now: NOW, expiresAt: NOW + 960_000 };

  test("GIVEN no live lease WHEN claimed THEN a conditional put takes it until the expiry", async () => {
    dynamodbMock.on(PutItemCommand).resolves({});
    const claim = await claimInstance(new DynamoDBClient({}), request);
    expect(claim.kind).toBe("claimed");
    expect(dynamodbMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: "fleet-warmup-claims",
      Item: { pk: { S: `claim#${INSTANCE}` }, owner: { S: "req-1" }, claimedAt: { N: String(NOW / 1000) }, expiresAt: { N: String(NOW / 1000 + 960) } },
      ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
      ExpressionAttributeValues: { ":now": { N: String(NOW / 1000) } },
    });
  });

  test("GIVEN a live lease of another run WHEN claimed THEN it is held elsewhere", async () => {
    dynamodbMock.on(PutItemCommand).rejects(conditionFailed());
    expect(await claimInstance(new DynamoDBClient({}), request)).toEqual({ kind: "held-elsewhere" });
  });

  test("GIVEN DynamoDB cannot be reached WHEN claimed THEN warmup goes ahead without a lease, saying why", async () => {
    dynamodbMock.on(PutItemCommand).rejects(new Error("connect ETIMEDOUT"));
    expect(await claimInstance(new DynamoDBClient({}), request)).toEqual({ kind: "off", reason: "claims table unavailable: connect ETIMEDOUT" });
  });

  test("GIVEN no table WHEN claimed THEN nothing is called", async () => {
    expect(await claimInstance(new DynamoDBClient({}), { ...request, table: undefined })).toMatchObject({ kind: "off" });
    expect(dynamodbMock).not.toHaveReceivedCommand(PutItemCommand);
  });

  test("GIVEN a lease WHEN released THEN only a lease with our owner is deleted, and one taken over is left alone", async () => {
    dynamodbMock.on(PutItemCommand).resolves({});
    dynamodbMock.on(DeleteItemCommand).rejects(conditionFailed());
    const claim = await claimInstance(new DynamoDBClient({}), request);
    if (claim.kind !== "claimed") throw new Error("expected a lease");
    await expect(claim.release()).resolves.toBeUndefined();
    expect(dynamodbMock).toHaveReceivedCommandWith(DeleteItemCommand, { Key: { pk: { S: `claim#${INSTANCE}` } }, ConditionExpression: "#owner = :owner", ExpressionAttributeValues: { ":owner": { S: "req-1" } } });
  });
});

describe("processEvent with leases", () => {
  function setup(put: "free" | "held") {
    for (const mock of [dynamodbMock, autoScalingMock, ec2Mock]) mock.reset();
    if (put === "free") dynamodbMock.on(PutItemCommand).resolves({});
    else dynamodbMock.on(PutItemCommand).rejects(conditionFailed());
    dynamodbMock.on(DeleteItemCommand).resolves({});
    autoScalingMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [{ InstanceId: INSTANCE, LifecycleState: "Pending:Wait" } as never] });
    autoScalingMock.on(CompleteLifecycleActionCommand).resolves({});
    autoScalingMock.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: INSTANCE, PrivateIpAddress: "10.0.1.5" }] }] });
    const clock = new FakeClock();
    const config = loadConfig({ WARMUP_CONCURRENCY: "4", WARMUP_AUTO_SCALING_GROUP_NAME: "fleet", WARMUP_CLAIMS_TABLE: "fleet-warmup-claims", WARMUP_WORKERS: "2" }, __dirname);
    const deps = { config, ec2: new EC2Client({}), autoScaling: new AutoScalingClient({}), dynamodb: new DynamoDBClient({}), invocationId: "req-1", http: fakeHttp(clock, () => ({ status: 200, latencyMs: 20 })), clock, log: memoryLogger() };
    return (event: unknown) => processEvent(event, clock.now() + 900_000, deps);
  }

  test("GIVEN another run holds the lease WHEN an event arrives THEN it is skipped without reading the state or completing", async () => {
    const result = await setup("held")(lifecycleEvent());
    expect(result).toEqual({ outcome: "skipped", reason: "warmup in progress elsewhere: another run holds this instance's lease" });
    expect(autoScalingMock).not.toHaveReceivedCommand(DescribeAutoScalingInstancesCommand);
    expect(autoScalingMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
  });

  test("GIVEN a reconciler event and a free lease WHEN processed THEN the action is completed by instance id and the lease released", async () => {
    const event = { ...lifecycleEvent(), source: "warmfleet.reconciler", detail: { ...(lifecycleEvent().detail as object), LifecycleActionToken: undefined } };
    const result = await setup("free")(event);
    expect(result).toMatchObject({ completion: "completed" });
    const complete = autoScalingMock.commandCalls(CompleteLifecycleActionCommand)[0].args[0].input;
    expect(complete).toMatchObject({ InstanceId: INSTANCE, AutoScalingGroupName: "fleet", LifecycleHookName: "fleet-launch" });
    expect(complete.LifecycleActionToken).toBeUndefined();
    expect(dynamodbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
  });
});
