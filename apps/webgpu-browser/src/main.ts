// Runs conformance cases on the WebGPU backend with the browser's own navigator.gpu, shows them
// in a table, and publishes the results on window.__unfoldConformance.
import { WebGpuBackend } from "@unfold/backend-webgpu";
import { type CaseResult, runCases } from "@unfold/conformance/portable";
import { DEFAULT_GROUPS, type PageReport } from "./report.js";

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

async function main(): Promise<void> {
  if (!("gpu" in navigator)) throw new Error("navigator.gpu is missing: this browser has no WebGPU (Chromium needs --enable-unsafe-webgpu on Linux)");
  const groups = new URLSearchParams(location.search).get("groups")?.split(",") ?? [...DEFAULT_GROUPS];
  report.adapter = await adapterName();
  const backend = await WebGpuBackend.create();
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
