import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationSeverity, validate } from "dockerfile-utils";
import { stopChild, trackChild } from "../../../testing/child-process";
import { Readiness, freePort, predict, readiness } from "../../../testing/example-server";

// The container's entrypoint run directly (no container engine here) with Debian's uWSGI, a temp
// directory standing in for the EFS mount, and uWSGI's own HTTP socket on loopback, as in the image.
const SERVER_DIR = join(__dirname, "..", "..", "..", "examples", "inference-server");
const ENTRYPOINT = join(SERVER_DIR, "container-entrypoint.sh");
const WORKERS = 4;

interface Run {
  readonly child: ChildProcess;
  output(): string;
  exited(): Promise<number | null>;
}

function run(env: NodeJS.ProcessEnv): Run {
  const chunks: Buffer[] = [];
  const child = trackChild(
    spawn(ENTRYPOINT, [], {
      env: {
        PATH: process.env.PATH,
        // Debian's uWSGI loads Python as a plugin; the image's pip-built uWSGI has it built in.
        UWSGI_PLUGINS: "python3",
        PYTHONDONTWRITEBYTECODE: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  child.stdout?.on("data", (c: Buffer) => chunks.push(c));
  child.stderr?.on("data", (c: Buffer) => chunks.push(c));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => Buffer.concat(chunks).toString(), exited: () => exit };
}

describe("container entrypoint", () => {
  let dir: string;
  let modelPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "warmfleet-container-"));
    mkdirSync(join(dir, "models"));
    modelPath = join(dir, "models", "model.bin");
    writeFileSync(modelPath, Buffer.from("weights of the example model\n"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("GIVEN no model file at MODEL_PATH WHEN the container starts THEN it fails fast, naming the path and the mount, without starting uWSGI", async () => {
    const missing = join(dir, "models", "missing.bin");
    const started = run({ MODEL_PATH: missing });
    expect(await started.exited()).toBe(66);
    expect(started.output()).toContain(`model file ${missing} is missing or not readable`);
    expect(started.output()).toContain(`EFS volume is mounted at ${join(dir, "models")}`);
    expect(started.output()).not.toContain("uWSGI");
    const unset = run({});
    expect(await unset.exited()).toBe(64);
    expect(unset.output()).toContain("MODEL_PATH is not set");
  });

  test("GIVEN an app that cannot start WHEN the container starts THEN the container exits non-zero with the reason", async () => {
    const started = run({ MODEL_PATH: modelPath, MODEL_LOAD: "sometime", INFERENCE_HTTP_SOCKET: `127.0.0.1:${await freePort()}`, INFERENCE_WORKERS: "1" });
    expect(await started.exited()).not.toBe(0);
    expect(started.output()).toContain("MODEL_LOAD must be 'start' or 'first-request', not 'sometime'");
    expect(started.output()).toMatch(/uWSGI exited by itself \(status [1-9]\d*\); failing the container/);
  }, 20_000);

  test(
    "GIVEN the model on the mount WHEN the container starts THEN /ready is 503 until all 4 workers have it, then 200, and SIGTERM stops it cleanly",
    async () => {
      const port = await freePort();
      const started = run({
        MODEL_PATH: modelPath,
        INFERENCE_HTTP_SOCKET: `127.0.0.1:${port}`,
        INFERENCE_WORKERS: String(WORKERS),
        MODEL_LOAD_SECONDS: "2",
        MODEL_LOADED_DIR: join(dir, "loaded"),
      });
      try {
        const seen: Readiness[] = [];
        const deadline = Date.now() + 40_000;
        while (seen.at(-1)?.status !== 200 && Date.now() < deadline) {
          const answer = await readiness(port);
          if (answer.status !== undefined) seen.push(answer);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(seen[0]).toMatchObject({ status: 503, workersExpected: WORKERS });
        expect(seen.slice(0, -1).every((a) => a.status === 503 && (a.workersLoaded ?? WORKERS) < WORKERS)).toBe(true);
        expect(seen.at(-1)).toMatchObject({ status: 200, workersLoaded: WORKERS });
        expect((await predict(port)).cold).toBe(true);
        expect(started.output()).toContain(`container-entrypoint: model ${modelPath} found`);
      } finally {
        expect(await stopChild(started.child, { killAfterMs: 10_000 })).toBe(0);
      }
      expect(readFileSync(modelPath, "utf8")).toBe("weights of the example model\n");
    },
    60_000,
  );
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(SERVER_DIR, "Dockerfile"), "utf8");
  const strict = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
  };

  test("GIVEN the example Dockerfile WHEN dockerfile-utils validates it with every rule as an error THEN it reports nothing; a broken copy is reported", () => {
    expect(validate(dockerfile, strict)).toEqual([]);
    const broken = dockerfile.replace("ENTRYPOINT [", "entrypoint ['").replace('.sh"]', ".sh']");
    expect(validate(broken, strict).map((d) => d.message)).toEqual(expect.arrayContaining([expect.stringMatching(/uppercase|single quotes/i)]));
  });

  test("GIVEN the example Dockerfile WHEN read THEN it runs as a non-root user from a digest-pinned base, with hash-checked packages and the entrypoint that checks the model", () => {
    const lines = dockerfile.split("\n");
    expect(dockerfile).toMatch(/^ARG PYTHON_IMAGE=python:[\w.-]+@sha256:[0-9a-f]{64}$/m);
    expect(lines.filter((l) => l.startsWith("FROM "))).toEqual(["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE}"]);
    expect(lines.filter((l) => l.startsWith("USER ")).at(-1)).toBe("USER 10001:10001");
    expect(dockerfile.match(/pip install [^\n]*(\\\n[^\n]*)*/g)?.every((c) => c.includes("--require-hashes"))).toBe(true);
    // gcc only in the build stage: the final stage starts after the second FROM and installs nothing.
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(finalStage).not.toMatch(/apt-get|gcc|pip install/);
    expect(lines.at(-2)).toBe('ENTRYPOINT ["/app/container-entrypoint.sh"]');
    expect(dockerfile).toMatch(/^\s+MODEL_PATH=\/models\/model\.bin \\$/m);
  });
});
