// Fixtures shared by the asynchronous inference construct tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import { deterministicZip } from "../../modules/internal/zip";
import { AsyncRequestQueue, AsyncRequestQueueProps } from "../../modules/async-request-queue";
import { AsyncResultsTable, AsyncResultsTableProps } from "../../modules/async-results-table";
import { IGrantable, PolicyStatement, RoleGrants } from "../../modules/grants";
import { SynthJson } from "./synth";

/** A temporary directory with a fake function zip and a fake worker source directory; remove() in afterAll. */
export function fakeCode(): { zip: string; dir: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), "async-code-"));
  const zip = join(root, "function.zip");
  writeFileSync(zip, deterministicZip({ "index.js": Buffer.from("exports.handler = async () => ({});\n") }));
  const dir = join(root, "worker");
  mkdirSync(dir);
  writeFileSync(join(dir, "lambda_worker.py"), "def handler(event, context):\n    return {'batchItemFailures': []}\n");
  return { zip, dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function queueIn(scope: Construct, overrides: Partial<AsyncRequestQueueProps> = {}): AsyncRequestQueue {
  return new AsyncRequestQueue(scope, "Requests", { name: "infer", worstCaseProcessingSeconds: 120, ...overrides });
}

export function tableIn(scope: Construct, overrides: Partial<AsyncResultsTableProps> = {}): AsyncResultsTable {
  return new AsyncResultsTable(scope, "Results", { name: "infer-results", ...overrides });
}

/** The statements of the policy document data source whose id contains `id`. */
export function statements(json: SynthJson, id: string): Array<Record<string, any>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id)) ?? [];
  return (document?.statement ?? []) as Array<Record<string, any>>;
}

/** Warnings a construct added with Annotations. */
export function warningsOf(construct: Construct): string[] {
  return construct.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

/** A construct with a role's grants, as the workers have: its statements land in "<id>_GrantsPolicyDocument". */
export class TestGrantee extends Construct implements IGrantable {
  private readonly grants: RoleGrants;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.grants = new RoleGrants(this, `${id.toLowerCase()}-role`);
  }
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }
}
