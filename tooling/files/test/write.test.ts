import { closeSync, lstatSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAppendNoFollow, readFileNoFollow, writeFileAtomic, writeFileAtomicSync } from "../src/index.js";

const temp = (): string => mkdtempSync(join(tmpdir(), "unfold-files-"));

describe("atomic writes", () => {
  it("replace a symlink at the path instead of writing through it", async () => {
    const out = temp();
    const outside = join(temp(), "precious.txt");
    writeFileSync(outside, "keep me");
    symlinkSync(outside, join(out, "metrics.jsonl"));
    writeFileAtomicSync(join(out, "metrics.jsonl"), "new\n");
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect(lstatSync(join(out, "metrics.jsonl")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe("new\n");

    symlinkSync(outside, join(out, "model.onnx"));
    await writeFileAtomic(join(out, "model.onnx"), new Uint8Array([1, 2, 3]), { durable: true });
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect([...readFileSync(join(out, "model.onnx"))]).toEqual([1, 2, 3]);
    // No temp file is left behind.
    expect(readdirSync(out).sort()).toEqual(["metrics.jsonl", "model.onnx"]);
  });

  it("leave the old file and no temp file when the write fails", () => {
    const out = temp();
    writeFileAtomicSync(join(out, "a.txt"), "old");
    expect(() => writeFileAtomicSync(join(out, "missing-dir", "a.txt"), "new")).toThrow(/ENOENT/);
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("old");
    expect(readdirSync(out)).toEqual(["a.txt"]);
  });
});

describe("no-follow appends", () => {
  it("append to a plain file and refuse a symlink, naming it", () => {
    const out = temp();
    const fd = openAppendNoFollow(join(out, "log.jsonl"));
    writeSync(fd, "a\n");
    closeSync(fd);
    const again = openAppendNoFollow(join(out, "log.jsonl"));
    writeSync(again, "b\n");
    closeSync(again);
    expect(readFileSync(join(out, "log.jsonl"), "utf8")).toBe("a\nb\n");

    const outside = join(temp(), "target");
    writeFileSync(outside, "keep");
    symlinkSync(outside, join(out, "link.jsonl"));
    expect(() => openAppendNoFollow(join(out, "link.jsonl"))).toThrow(`'${join(out, "link.jsonl")}' is a symbolic link`);
    expect(readFileSync(outside, "utf8")).toBe("keep");
    // Reads of earlier output refuse the link too, and a missing file is no error.
    expect(readFileNoFollow(join(out, "log.jsonl"))?.toString()).toBe("a\nb\n");
    expect(() => readFileNoFollow(join(out, "link.jsonl"))).toThrow("is a symbolic link; Unfold does not read or write through links");
    expect(readFileNoFollow(join(out, "missing.jsonl"))).toBeUndefined();
  });
});
