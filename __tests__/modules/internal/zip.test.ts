import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { deterministicZip, readDirectory, unzipFile } from "../../../modules/internal/zip";

describe("deterministic zip", () => {
  const dir = mkdtempSync(join(tmpdir(), "zip-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("GIVEN the same files in any order WHEN zipped twice, a second apart THEN the bytes are identical", async () => {
    const first = deterministicZip({ "b.js": Buffer.from("b"), "a.js": Buffer.from("a") });
    await new Promise((r) => setTimeout(r, 1100));
    const second = deterministicZip({ "a.js": Buffer.from("a"), "b.js": Buffer.from("b") });
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });

  test("GIVEN different contents WHEN zipped THEN the bytes differ", () => {
    expect(Buffer.from(deterministicZip({ "a.js": Buffer.from("a") })).equals(Buffer.from(deterministicZip({ "a.js": Buffer.from("A") })))).toBe(false);
  });

  test("GIVEN a directory tree WHEN read and zipped THEN every file comes back with forward-slash names and its content", () => {
    writeFileSync(join(dir, "index.js"), "code");
    require("node:fs").mkdirSync(join(dir, "payload"));
    writeFileSync(join(dir, "payload", "cat.jpg"), Buffer.from([1, 2, 3]));
    const zipPath = join(dir, "..", `${require("node:path").basename(dir)}.zip`);
    writeFileSync(zipPath, deterministicZip(readDirectory(dir)));
    try {
      const entries = unzipFile(zipPath);
      expect(Object.keys(entries).sort()).toEqual(["index.js", "payload/cat.jpg"]);
      expect(Buffer.from(entries["payload/cat.jpg"])).toEqual(Buffer.from([1, 2, 3]));
    } finally {
      rmSync(zipPath, { force: true });
    }
  });

  test("GIVEN an entry WHEN zipped THEN it is a readable regular Unix file dated 1980-01-01", () => {
    const zip = Buffer.from(deterministicZip({ "index.js": Buffer.from("x") }));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(zip[central + 5]).toBe(3); // version made by: Unix
    expect((zip.readUInt32LE(central + 38) >>> 16) & 0o777).toBe(0o644);
    expect(zip.readUInt16LE(central + 14)).toBe(0x21); // DOS date 1980-01-01
    expect(unzipSync(zip)["index.js"]).toEqual(new Uint8Array(Buffer.from("x")));
  });
});
