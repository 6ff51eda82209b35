#!/usr/bin/env node
// Makes sure every Lambda zip in dist/lambdas/ was built from the sources as they are now, before
// the app (main.ts) packages it: cdktf.json runs `node scripts/ensure-lambdas.js && node --import
// tsx main.ts`, so `cdktf synth`, `cdktf diff` and `cdktf deploy` can never ship a stale bundle.
//
//   node scripts/ensure-lambdas.js           fresh: prints nothing; stale or missing: rebuilds it
//                                            (scripts/build-lambdas.ts) with one line on stderr
//   node scripts/ensure-lambdas.js --check   never builds: exits 1 naming the stale Lambda, the
//                                            changed input and the fix (npm run build)
//
// scripts/build-lambdas.ts writes dist/lambdas/<name>.inputs.json next to each zip: the sha256 of
// every input esbuild read outside node_modules (its metafile), of package-lock.json (the
// node_modules the bundle came from), of the build script, the zip writer and tsconfig.json, the
// list of files under lambdas/<name>/ (a new file counts), and the zip's own sha256. All paths
// are relative, so two checkouts of one commit write the same stamp. This file recomputes those
// digests from the recorded list. Plain CommonJS on purpose: it runs before every synth, and
// starting tsx would cost more than the whole check (tens of milliseconds).
"use strict";

const { createHash } = require("node:crypto");
const { existsSync, readFileSync, readdirSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
/** Bump when the stamp's format or the digest's definition changes: older stamps then count as stale. */
const STAMP_VERSION = 1;
/** Inputs of every bundle that esbuild's metafile does not list. */
const FIXED_INPUTS = ["package-lock.json", "scripts/build-lambdas.ts", "modules/internal/zip.ts", "tsconfig.json"];
const FIX = "npm run build";

/** The Lambdas: every directory lambdas/<name>/ holding a handler.ts. */
function lambdaNames(root = ROOT) {
  const dir = join(root, "lambdas");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "handler.ts")))
    .map((e) => e.name)
    .sort();
}

const zipPath = (name) => `dist/lambdas/${name}.zip`;
const stampPath = (name) => `dist/lambdas/${name}.inputs.json`;

/** sha256 (hex) of a file given by its forward-slash path relative to root; null when it is missing. */
function hashFile(root, relative) {
  try {
    return createHash("sha256").update(readFileSync(join(root, relative))).digest("hex");
  } catch (error) {
    if (error.code === "ENOENT" || error.code === "ENOTDIR" || error.code === "EISDIR") return null;
    throw error;
  }
}

/** Every file below lambdas/<name>/ (relative, forward slashes, sorted), without dotfiles and node_modules. */
function lambdaFiles(root, name) {
  const files = [];
  const walk = (relative) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  if (existsSync(join(root, "lambdas", name))) walk(`lambdas/${name}`);
  return files.sort();
}

/** The digest over the inputs (path -> sha256) and the file list: one line per entry, sorted, sha256. */
function inputsDigest(inputs, files) {
  const lines = Object.keys(inputs)
    .sort()
    .map((path) => `input ${inputs[path]} ${path}\n`);
  for (const path of [...files].sort()) lines.push(`file ${path}\n`);
  return createHash("sha256").update(`warmfleet-lambda-inputs/${STAMP_VERSION}\n${lines.join("")}`).digest("hex");
}

/** The stamp's text; keys and lists sorted, so equal inputs give equal bytes. */
function stampText(name, inputs, files, zipSha256) {
  const sortedInputs = Object.fromEntries(Object.keys(inputs).sort().map((path) => [path, inputs[path]]));
  const sortedFiles = [...files].sort();
  const stamp = {
    version: STAMP_VERSION,
    lambda: name,
    zip: zipPath(name),
    zipSha256,
    digest: inputsDigest(sortedInputs, sortedFiles),
    inputs: sortedInputs,
    files: sortedFiles,
  };
  return `${JSON.stringify(stamp, null, 2)}\n`;
}

/** Why lambdas/<name> must be rebuilt (a list of short reasons), or [] when its zip is fresh. */
function staleReasons(root, name) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, stampPath(name)), "utf8"));
  } catch (error) {
    if (error.code === "ENOENT") return [`${stampPath(name)} missing (not built in this checkout)`];
    return [`${stampPath(name)} unreadable (${error.message})`];
  }
  if (stamp.version !== STAMP_VERSION || typeof stamp.inputs !== "object" || !Array.isArray(stamp.files)) {
    return [`${stampPath(name)} written by another version of the build`];
  }
  const zipSha256 = hashFile(root, zipPath(name));
  if (zipSha256 === null) return [`${zipPath(name)} missing`];

  const reasons = [];
  const current = {};
  for (const path of Object.keys(stamp.inputs)) {
    current[path] = hashFile(root, path);
    if (current[path] === null) reasons.push(`${path} deleted`);
    else if (current[path] !== stamp.inputs[path]) reasons.push(`${path} changed`);
  }
  const files = lambdaFiles(root, name);
  const recorded = new Set(stamp.files);
  for (const path of files) if (!recorded.has(path)) reasons.push(`${path} added`);
  const present = new Set(files);
  for (const path of stamp.files) if (!present.has(path) && !(path in current)) reasons.push(`${path} removed`);
  for (const path of FIXED_INPUTS) if (!(path in stamp.inputs)) reasons.push(`${path} not recorded in ${stampPath(name)}`);
  if (reasons.length > 0) return reasons;

  if (zipSha256 !== stamp.zipSha256) return [`${zipPath(name)} modified after it was built`];
  if (inputsDigest(current, files) !== stamp.digest) return [`${stampPath(name)} does not match its own inputs`];
  return [];
}

/** "a changed", "a changed, b added", "a changed, b added, c deleted and 2 more". */
function describe(reasons) {
  const shown = reasons.slice(0, 3).join(", ");
  return reasons.length > 3 ? `${shown} and ${reasons.length - 3} more` : shown;
}

function build(root, names) {
  const { spawnSync } = require("node:child_process");
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/build-lambdas.ts", ...names], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function main(argv) {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`ensure-lambdas: unknown argument ${unknown[0]}. Usage: node scripts/ensure-lambdas.js [--check]\n`);
    return 2;
  }
  const stale = lambdaNames(ROOT)
    .map((name) => ({ name, reasons: staleReasons(ROOT, name) }))
    .filter((s) => s.reasons.length > 0);
  if (stale.length === 0) return 0;

  if (check) {
    for (const { name, reasons } of stale) {
      process.stderr.write(`ensure-lambdas --check: Lambda ${name} is stale: ${zipPath(name)} was not built from the current sources (${describe(reasons)}). Fix: ${FIX}\n`);
    }
    return 1;
  }

  const started = Date.now();
  const result = build(ROOT, stale.map((s) => s.name));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    process.stderr.write(`ensure-lambdas: rebuilding Lambda ${stale.map((s) => s.name).join(", ")} (${describe(stale[0].reasons)}) failed (${why}), so the app did not run: fix the error above and run again\n`);
    return 1;
  }
  for (const { name, reasons } of stale) {
    const after = staleReasons(ROOT, name);
    if (after.length > 0) {
      process.stderr.write(`ensure-lambdas: Lambda ${name} is still stale after rebuilding (${describe(after)}: changed during the build?). Run it again, or ${FIX}\n`);
      return 1;
    }
    process.stderr.write(`ensure-lambdas: rebuilt Lambda ${name} (${describe(reasons)}) into ${zipPath(name)} in ${seconds} s\n`);
  }
  return 0;
}

module.exports = { FIXED_INPUTS, STAMP_VERSION, hashFile, inputsDigest, lambdaFiles, lambdaNames, stampPath, stampText, staleReasons, zipPath };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
