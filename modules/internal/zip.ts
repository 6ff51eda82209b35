import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Zippable, unzipSync, zipSync } from "fflate";

// The earliest time a zip entry can carry: every entry gets it, so the same files always give the
// same bytes (and the same Terraform asset hash) whoever builds them, wherever, whenever.
const FIXED_MTIME = new Date("1980-01-01T00:00:00Z");
// A regular file, rw-r--r--, recorded as made on Unix, so Lambda can read it.
const REGULAR_FILE = { os: 3, attrs: (0o100644 << 16) >>> 0 };

/** A zip of the given files whose bytes depend on names and contents only. */
export function deterministicZip(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const entries: Zippable = {};
  for (const name of Object.keys(files).sort()) {
    entries[name] = [files[name], { mtime: FIXED_MTIME, level: 9, ...REGULAR_FILE }];
  }
  return zipSync(entries);
}

/** Every file below dir, keyed by its forward-slash path relative to dir. */
export function readDirectory(dir: string, prefix = ""): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? posix.join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) Object.assign(files, readDirectory(dir, relative));
    else files[relative] = readFileSync(join(dir, relative));
  }
  return files;
}

/** The entries of a zip. */
export function unzipFile(zipPath: string): Record<string, Uint8Array> {
  return unzipSync(readFileSync(zipPath));
}

/**
 * Writes a deterministic zip of the files to the temporary directory, named by its content hash,
 * and returns its path: repeated synths reuse the file instead of piling up copies, and two
 * processes writing the same zip at once never leave half a file.
 */
export function stageZip(prefix: string, files: Readonly<Record<string, Uint8Array>>): string {
  const zip = deterministicZip(files);
  const staged = join(tmpdir(), `${prefix}-${createHash("sha256").update(zip).digest("hex").slice(0, 16)}.zip`);
  if (!existsSync(staged)) {
    const partial = `${staged}.${process.pid}.partial`;
    writeFileSync(partial, zip);
    renameSync(partial, staged);
  }
  return staged;
}
