// Requests per second through the async request API's handler (lambdas/async-request, the plain
// functions with real SDK clients and the handler's client settings) against dynalite (DynamoDB)
// and fauxqs (SNS -> SQS), each in its own process on 127.0.0.1. A mixed workload: submits (new
// bodies, and duplicates of earlier ones) and status reads, `concurrency` requests in flight.
// Usage: npm run bench:async [-- concurrencies [requestsPerRun [submitShare]]]
//   e.g. npm run bench:async -- 1,8,32 3000 0.5
import { cpus, loadavg } from "node:os";
import { createClients } from "../lambdas/async-request/clients";
import { loadConfig } from "../lambdas/async-request/config";
import { systemClock } from "../lambdas/async-request/clock";
import { jsonLogger } from "../lambdas/async-request/logger";
import { Dependencies, handleRequest } from "../lambdas/async-request/request-api";
import { percentile } from "../lambdas/warmup/warmup";
import { functionUrlEvent } from "../testing/async-request-bundle";
import { startLocalAws } from "../testing/local-aws-emulators";
import { createQueue, createResultsTable, createTopicToQueue, localClients } from "../testing/local-async-resources";

const concurrencies = (process.argv[2] ?? "1,8,32").split(",").map(Number);
const requestsPerRun = Number(process.argv[3] ?? 3000);
const submitShare = Number(process.argv[4] ?? 0.5);
/** Of the submits, this share repeats an earlier body (answered from the table, not published). */
const DUPLICATE_SHARE = 0.2;
const WARMUP_REQUESTS = 200;

type Kind = "submit (new)" | "submit (duplicate)" | "status";

interface RunResult {
  readonly concurrency: number;
  readonly seconds: number;
  readonly latencies: Record<Kind, number[]>;
  readonly unexpected: number;
}

async function run(deps: Dependencies, concurrency: number, requests: number, tag: string): Promise<RunResult> {
  const latencies: Record<Kind, number[]> = { "submit (new)": [], "submit (duplicate)": [], status: [] };
  const bodies: string[] = [];
  const ids: string[] = [];
  let issued = 0;
  let unexpected = 0;
  const worker = async () => {
    while (issued < requests) {
      const n = issued++;
      let kind: Kind;
      let event: unknown;
      if (ids.length === 0 || Math.random() < submitShare) {
        const duplicate = bodies.length > 0 && Math.random() < DUPLICATE_SHARE;
        const body = duplicate ? bodies[Math.floor(Math.random() * bodies.length)] : JSON.stringify({ run: tag, n, features: [n % 7, n % 11, n % 13] });
        kind = duplicate ? "submit (duplicate)" : "submit (new)";
        event = functionUrlEvent({ method: "POST", path: "/requests", body });
        if (!duplicate) bodies.push(body);
      } else {
        kind = "status";
        event = functionUrlEvent({ method: "GET", path: `/requests/${ids[Math.floor(Math.random() * ids.length)]}` });
      }
      const started = performance.now();
      const response = await handleRequest(event, deps);
      latencies[kind].push(performance.now() - started);
      const expected = kind === "status" ? 200 : 202;
      if (response.statusCode !== expected) unexpected += 1;
      else if (kind === "submit (new)") ids.push((JSON.parse(response.body) as { requestId: string }).requestId);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { concurrency, seconds, latencies, unexpected };
}

const ms = (sorted: number[], p: number) => (sorted.length === 0 ? "-" : percentile(sorted, p).toFixed(1));

function row(result: RunResult): string {
  const submits = [...result.latencies["submit (new)"], ...result.latencies["submit (duplicate)"]].sort((a, b) => a - b);
  const status = [...result.latencies.status].sort((a, b) => a - b);
  const total = submits.length + status.length;
  return `| ${result.concurrency} | ${total} | ${(total / result.seconds).toFixed(0)} | ${ms(submits, 50)} / ${ms(submits, 99)} | ${ms(status, 50)} / ${ms(status, 99)} | ${ms(
    [...result.latencies["submit (new)"]].sort((a, b) => a - b),
    50,
  )} / ${ms([...result.latencies["submit (duplicate)"]].sort((a, b) => a - b), 50)} | ${result.unexpected} |`;
}

async function main(): Promise<void> {
  // One process per emulator, so that neither waits on the other's event loop.
  const [dynamodb, snsSqs] = await Promise.all([startLocalAws(["dynamodb"]), startLocalAws(["snsSqs"])]);
  const aws = localClients({ ...dynamodb.endpoints, ...snsSqs.endpoints });
  try {
    await createResultsTable(aws.dynamodb, "bench-results");
    const topicArn = await createTopicToQueue(aws.sns, "bench-requests", (await createQueue(aws.sqs, "bench-compute")).arn);
    Object.assign(process.env, dynamodb.env, snsSqs.env);
    const config = loadConfig({ ASYNC_TABLE_NAME: "bench-results", ASYNC_REQUESTS_TOPIC_ARN: topicArn, ASYNC_AWS_TIMEOUT_MS: "10000" });
    const { dynamodb: dynamoClient, sns } = createClients(config.awsRequestTimeoutMs);
    // The handler's own JSON log lines are built and discarded: stdout stays for the table.
    const deps: Dependencies = { config, dynamodb: dynamoClient, sns, clock: systemClock, log: jsonLogger(() => undefined) };
    await run(deps, 8, WARMUP_REQUESTS, "warmup");
    const rows = [
      `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}, load average ${loadavg()[0].toFixed(1)} before the runs), Node.js ${process.version}; dynalite and fauxqs in their own processes on 127.0.0.1; ${requestsPerRun} requests per run, ${Math.round(submitShare * 100)}% submits (${Math.round(DUPLICATE_SHARE * 100)}% of them duplicates), the rest status reads; latency in ms`,
      "",
      "| concurrency | requests | requests/s | submit p50 / p99 | status p50 / p99 | submit p50 new / duplicate | unexpected answers |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const concurrency of concurrencies) {
      rows.push(row(await run(deps, concurrency, requestsPerRun, `c${concurrency}-${Date.now()}`)));
      process.stderr.write(`concurrency ${concurrency} done\n`);
    }
    dynamoClient.destroy();
    sns.destroy();
    process.stdout.write(`${rows.join("\n")}\n`);
  } finally {
    aws.destroy();
    await Promise.all([dynamodb.stop(), snsSqs.stop()]);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:async failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
