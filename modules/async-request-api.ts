import { Construct } from "constructs";
import { Annotations, AssetType, TerraformAsset } from "cdktf";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { ASYNC_REQUEST_ENV } from "./async-contract";
import { IAsyncRequestQueue } from "./async-request-queue";
import { IAsyncResultsTable } from "./async-results-table";
import { IGrantable, PolicyStatement, RoleGrants } from "./grants";
import { requireLogRetentionDays } from "./internal/validation";
import { requireQueueName } from "./internal/async-validation";
import { lambdaBasics } from "./internal/lambda-basics";
import { PropValidationError, requireIntegerInRange } from "./internal/validation";

/** Who may call the request API's function URL. */
export enum FunctionUrlAuth {
  /** SigV4-signed requests from principals granted lambda:InvokeFunctionUrl (grantInvokeUrl). */
  AWS_IAM = "AWS_IAM",
  /** Anyone on the internet who knows the URL: put your own authentication in front of it. */
  NONE = "NONE",
}

export interface AsyncRequestApiProps {
  /** Name of the function and prefix of its role and log group, 1 to 56 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Where requests are published. */
  readonly queue: IAsyncRequestQueue;
  /** Where request records and results are stored. */
  readonly table: IAsyncResultsTable;
  /** Authentication of the function URL. @default FunctionUrlAuth.AWS_IAM */
  readonly authType?: FunctionUrlAuth;
  /** Largest request body accepted, in bytes, 1 to 250000 (the compute event must fit SNS's 256 KiB). @default 65536 */
  readonly maxBodyBytes?: number;
  /** Reserved concurrency, 1 to 10000, capping what the API can cost and take from the account. @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Function timeout in seconds, 3 to 60. @default 10 */
  readonly timeoutSeconds?: number;
  /** Function memory in MB, 128 to 10240. @default 256 */
  readonly memoryMb?: number;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Zip of the built function (index.js, index.js.map). @default - dist/lambdas/async-request.zip of this package (npm run build) */
  readonly bundle?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The request side of asynchronous inference: a Node.js 22 function behind a function URL (IAM
 * authentication by default) that records each request once in the results table with a
 * conditional write, publishes its compute event only when it created the record, and answers
 * status and result queries. Its role may read and write the table and publish to the requests
 * topic, nothing else.
 */
export class AsyncRequestApi extends Construct implements IGrantable {
  /** Name of the function. */
  public readonly functionName: string;
  /** ARN of the function. */
  public readonly functionArn: string;
  /** The function URL ("https://<id>.lambda-url.<region>.on.aws/"). */
  public readonly functionUrl: string;
  /** Authentication of the function URL. */
  public readonly authType: FunctionUrlAuth;
  /** Name of the function's IAM role. */
  public readonly roleName: string;
  /** Name of the function's log group. */
  public readonly logGroupName: string;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: AsyncRequestApiProps) {
    super(scope, id);
    validateApiProps(this, props);
    this.authType = props.authType ?? FunctionUrlAuth.AWS_IAM;
    const tags = props.tags ?? {};
    const timeoutSeconds = props.timeoutSeconds ?? 10;
    this.functionName = props.name;
    const { logGroup, role, runtimePolicy } = lambdaBasics(this, { name: props.name, description: `Request API ${props.name}: results table read/write, publish to the requests topic`, logRetentionDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    this.roleName = role.name;
    this.grants = new RoleGrants(this, role.name);
    props.table.grantReadWrite(this);
    props.queue.grantPublishRequests(this);

    const bundle = new TerraformAsset(this, "Bundle", { path: requireBundle(this, props.bundle ?? defaultBundle()), type: AssetType.FILE });
    const fn = new LambdaFunction(this, "Function", {
      functionName: props.name,
      description: "Accepts asynchronous inference requests and answers their status",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: bundle.path,
      sourceCodeHash: bundle.assetHash,
      role: role.arn,
      timeout: timeoutSeconds,
      memorySize: props.memoryMb ?? 256,
      reservedConcurrentExecutions: props.reservedConcurrency,
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          [ASYNC_REQUEST_ENV.tableName]: props.table.tableName,
          [ASYNC_REQUEST_ENV.topicArn]: props.queue.requestsTopicArn,
          [ASYNC_REQUEST_ENV.maxBodyBytes]: String(props.maxBodyBytes ?? 65_536),
          [ASYNC_REQUEST_ENV.resultTtlSeconds]: String(props.table.resultTtlSeconds),
          [ASYNC_REQUEST_ENV.awsRequestTimeoutMs]: String(awsRequestTimeoutMs(timeoutSeconds)),
        },
      },
      tags,
      // The first request after apply must find its permissions in place.
      dependsOn: [logGroup, runtimePolicy, ...(this.grants.resource ? [this.grants.resource] : [])],
    });
    this.functionArn = fn.arn;
    const url = new LambdaFunctionUrl(this, "FunctionUrl", { functionName: fn.functionName, authorizationType: this.authType, invokeMode: "BUFFERED" });
    this.functionUrl = url.functionUrl;
    if (this.authType === FunctionUrlAuth.NONE) {
      Annotations.of(this).addWarning(
        `AsyncRequestApi ${props.name}: the function URL has no authentication (FunctionUrlAuth.NONE): anyone who finds it can submit work and read results. Use FunctionUrlAuth.AWS_IAM with grantInvokeUrl, or put your own authentication in front of it.`,
      );
      // Function URLs created since October 2025 also need lambda:InvokeFunction, limited by
      // lambda:InvokedViaFunctionUrl; aws_lambda_permission can only express that from provider 6.28.
      Annotations.of(this).addWarning(
        `AsyncRequestApi ${props.name}: a public function URL also needs lambda:InvokeFunction for "*" with lambda:InvokedViaFunctionUrl = true, which AWS provider 5.x cannot write; until it is added the URL answers 403. After apply run: aws lambda add-permission --function-name ${props.name} --statement-id FunctionUrlInvokeFunction --action lambda:InvokeFunction --principal "*" --invoked-via-function-url`,
      );
      new LambdaPermission(this, "PublicUrlPermission", {
        statementId: "FunctionUrlPublicAccess",
        action: "lambda:InvokeFunctionUrl",
        functionName: fn.functionName,
        principal: "*",
        functionUrlAuthType: "NONE",
      });
    }
  }

  /** Adds a statement to the function's role. */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }

  /**
   * Lets the grantee call the function URL: lambda:InvokeFunctionUrl on this function for
   * IAM-authenticated URLs, and lambda:InvokeFunction only through a function URL (function URLs
   * created since October 2025 require both).
   */
  public grantInvokeUrl(grantee: IGrantable): void {
    grantee.addToRolePolicy({
      actions: ["lambda:InvokeFunctionUrl"],
      resources: [this.functionArn],
      conditions: [{ test: "StringEquals", variable: "lambda:FunctionUrlAuthType", values: [FunctionUrlAuth.AWS_IAM] }],
    });
    grantee.addToRolePolicy({
      actions: ["lambda:InvokeFunction"],
      resources: [this.functionArn],
      conditions: [{ test: "Bool", variable: "lambda:InvokedViaFunctionUrl", values: ["true"] }],
    });
  }
}

function defaultBundle(): string {
  return join(__dirname, "..", "dist", "lambdas", "async-request.zip");
}

function requireBundle(scope: Construct, bundle: string): string {
  if (!existsSync(bundle)) {
    throw new PropValidationError(scope, "bundle", bundle, "the zip of the built request function", "run `npm run build` (npm run synth does it first)");
  }
  return bundle;
}

function validateApiProps(scope: Construct, props: AsyncRequestApiProps): void {
  // 56 leaves room for IAM's 64-character role names and the log group prefix.
  requireQueueName(scope, "name", props.name, 56);
  requireIntegerInRange(scope, "maxBodyBytes", props.maxBodyBytes, 1, 250_000, "use at most 250000 bytes: the compute event (body, id, time) must fit SNS's 256 KiB message limit; store larger inputs in S3 and send their key");
  requireIntegerInRange(scope, "reservedConcurrency", props.reservedConcurrency, 1, 10_000, "use at least 1 (0 would throttle every request), or leave it out");
  requireIntegerInRange(scope, "timeoutSeconds", props.timeoutSeconds, 3, 60, "use 3 to 60 seconds: the API only reads, writes and publishes");
  requireIntegerInRange(scope, "memoryMb", props.memoryMb, 128, 10_240, "use 128 to 10240 MB");
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
}

/**
 * Timeout of one DynamoDB or SNS call: a submit makes at most four calls (read, write, publish,
 * roll back) of two attempts each, so eight timeouts must fit the function's own timeout, or a
 * hanging endpoint turns the JSON 503 into the function URL's opaque 502.
 */
function awsRequestTimeoutMs(timeoutSeconds: number): number {
  return Math.max(100, Math.min(2_000, Math.floor((timeoutSeconds * 1000) / 10)));
}
