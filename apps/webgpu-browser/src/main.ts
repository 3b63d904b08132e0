// Runs conformance cases with the browser's own navigator.gpu, shows them in a table, and
// publishes the results on window.__unfoldConformance. `?backend=webgpu` (default): Unfold's
// WebGPU backend. `?backend=onnx`: Unfold's ONNX export on onnxruntime-web's WebGPU provider,
// its runtime files served under /ort/.
import type { Backend } from "@unfold/core";
import { type CaseResult, runCases } from "@unfold/conformance/portable";
import { DEFAULT_GROUPS, ONNX_GROUPS, type PageReport } from "./report.js";

const report: PageReport = { done: false, results: [] };
window.__unfoldConformance = report;

const status = document.getElementById("status")!;
const rows = document.querySelector("#results tbody")!;

function show(result: CaseResult): void {
  const tr = document.createElement("tr");
  if (!result.ok) tr.className = "fail";
  for (const text of [result.group, result.name, result.ms.toFixed(0), result.ok ? "ok" : `FAIL: ${result.error ?? ""}`]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  rows.append(tr);
  status.textContent = `${report.results.length} cases run`;
}

async function adapterName(): Promise<string> {
  const adapter = await navigator.gpu.requestAdapter();
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") : "unknown";
}

async function createBackend(which: string): Promise<Backend> {
  if (which === "webgpu") {
    const { WebGpuBackend } = await import("@unfold/backend-webgpu");
    return WebGpuBackend.create();
  }
  if (which === "onnx") {
    // onnxruntime-web fetches its WebAssembly runtime at run time; the page's server has it at /ort/.
    const ort = await import("onnxruntime-web");
    ort.env.wasm.wasmPaths = "/ort/";
    const { OnnxBackend } = await import("@unfold/backend-onnx");
    return new OnnxBackend({ executionProvider: "webgpu" });
  }
  throw new Error(`unknown backend '${which}' (webgpu, onnx)`);
}

async function main(): Promise<void> {
  if (!("gpu" in navigator)) throw new Error("navigator.gpu is missing: this browser has no WebGPU (Chromium needs --enable-unsafe-webgpu on Linux)");
  const query = new URLSearchParams(location.search);
  const which = query.get("backend") ?? "webgpu";
  const groups = query.get("groups")?.split(",") ?? [...(which === "onnx" ? ONNX_GROUPS : DEFAULT_GROUPS)];
  report.adapter = await adapterName();
  const backend = await createBackend(which);
  try {
    await runCases(backend, {
      dtypes: ["float32"],
      filter: (c) => groups.includes(c.group),
      onResult: (result) => {
        report.results.push(result);
        show(result);
      },
    });
  } finally {
    await backend.dispose();
  }
  const failed = report.results.filter((r) => !r.ok).length;
  status.textContent = `${report.results.length} cases on ${report.adapter}: ${failed} failed`;
}

main()
  .catch((error: unknown) => {
    report.error = error instanceof Error ? error.message : String(error);
    status.textContent = `error: ${report.error}`;
  })
  .finally(() => {
    report.done = true;
  });
