import { UnfoldError } from "@unfold/core";

/** How many pipelines were built, and how many requests found one already built. */
export interface PipelineStats {
  readonly compiled: number;
  readonly hits: number;
}

/**
 * Compute pipelines keyed by their WGSL: the same kernel in another program (or in the same
 * program twice) reuses the pipeline; a driver compile happens once per distinct shader.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private compiled = 0;
  private hits = 0;

  constructor(private readonly device: GPUDevice) {}

  get(wgsl: string, label: string): Promise<GPUComputePipeline> {
    const known = this.pipelines.get(wgsl);
    if (known) {
      this.hits++;
      return known;
    }
    this.compiled++;
    // A scope of its own, so a bad shader rejects this promise instead of surfacing as an
    // uncaptured error that would fail unrelated work on the device.
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ code: wgsl, label });
    const scope = this.device.popErrorScope();
    const pipeline = scope
      .then((error) => {
        if (error) throw error;
        return this.device.createComputePipelineAsync({ layout: "auto", compute: { module, entryPoint: "main" }, label });
      })
      .catch((error: unknown) => {
        this.pipelines.delete(wgsl);
        const message = error instanceof Error || (error && typeof error === "object" && "message" in error) ? (error as { message: string }).message : String(error);
        throw new UnfoldError("webgpu backend", `the kernel for ${label} failed to build: ${message}\n${wgsl}`);
      });
    this.pipelines.set(wgsl, pipeline);
    return pipeline;
  }

  stats(): PipelineStats {
    return { compiled: this.compiled, hits: this.hits };
  }

  clear(): void {
    this.pipelines.clear();
  }
}
