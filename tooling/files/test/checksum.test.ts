import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checksumPathFor, verifyChecksum, writeChecksum } from "../src/index.js";

describe("checksum files", () => {
  it("match what was written, catch one flipped bit, and read as sha256sum's format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unfold-sum-"));
    const path = join(dir, "model.onnx");
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 255);
    writeFileSync(path, bytes);
    await writeChecksum(path, bytes);
    expect(verifyChecksum(path, readFileSync(path))).toEqual({ status: "match" });
    // coreutils agrees with the format.
    expect(execFileSync("sha256sum", ["-c", checksumPathFor(path)], { cwd: dir, encoding: "utf8" })).toContain("model.onnx: OK");
    const flipped = Uint8Array.from(bytes);
    flipped[500]! ^= 0x10;
    expect(verifyChecksum(path, flipped)).toMatchObject({ status: "mismatch" });
    expect(verifyChecksum(join(dir, "other.onnx"), bytes)).toEqual({ status: "absent" });
    writeFileSync(checksumPathFor(path), "nonsense\n");
    expect(() => verifyChecksum(path, bytes)).toThrow(`${checksumPathFor(path)}: not a sha256 checksum file`);
  });
});
