// Reading tensors back to the host: every tensor of one read is copied into one staging buffer
// by one command buffer, and that buffer is mapped once. A map is a round trip to the device
// (and, in a browser, to the GPU process), so reading a run's energy and each of its terms, or
// the state with them, costs one round trip instead of one per tensor.
import type { HostTensor } from "@unfold/core";
import { type GpuContext, disposedError } from "./context.js";
import type { PooledBuffer } from "./pool.js";

const MAP_READ = 0x1;

/** One tensor to read: its buffer, its element count and its shape. */
export interface ReadSource {
  readonly buffer: PooledBuffer;
  readonly elements: number;
  readonly shape: readonly number[];
}

/** The tensors of one staging buffer, with each one's byte offset in it. */
interface StagingGroup {
  readonly bytes: number;
  readonly members: { readonly index: number; readonly offset: number; readonly bytes: number }[];
}

/**
 * Groups the reads so no staging buffer passes the device's buffer size limit (each tensor is
 * within it already: uploads and plans refuse larger ones); almost always one group.
 */
export function stagingGroups(sources: readonly ReadSource[], limit: number): StagingGroup[] {
  const groups: { bytes: number; members: StagingGroup["members"] }[] = [];
  let group: { bytes: number; members: StagingGroup["members"] } | undefined;
  sources.forEach((source, index) => {
    const bytes = source.elements * 4;
    if (bytes === 0) return;
    if (!group || group.bytes + bytes > limit) {
      group = { bytes: 0, members: [] };
      groups.push(group);
    }
    group.members.push({ index, offset: group.bytes, bytes });
    group.bytes += bytes;
  });
  return groups;
}

/** Copies each source's values to the host, in order: one submit and one map per staging buffer. */
export async function readBack(context: GpuContext, sources: readonly ReadSource[]): Promise<HostTensor[]> {
  const { state, pool, device } = context;
  const results: HostTensor[] = sources.map((s) => ({ shape: s.shape, dtype: "float32", data: new Float32Array(0) }));
  const groups = stagingGroups(sources, context.maxBindingBytes);
  if (groups.length === 0) return results;
  const staging = groups.map((g) => pool.acquire(g.bytes, "readback"));
  try {
    const encoder = device.createCommandEncoder();
    groups.forEach((g, k) => {
      for (const m of g.members) encoder.copyBufferToBuffer(sources[m.index]!.buffer.buffer, 0, staging[k]!.buffer, m.offset, m.bytes);
    });
    device.queue.submit([encoder.finish()]);
    context.counts.submits++;
    context.counts.readbacks += groups.length;
    await Promise.all(groups.map((g, k) => staging[k]!.buffer.mapAsync(MAP_READ, 0, g.bytes)));
    groups.forEach((g, k) => {
      const mapped = staging[k]!.buffer.getMappedRange(0, g.bytes);
      for (const m of g.members) results[m.index] = { shape: sources[m.index]!.shape, dtype: "float32", data: new Float32Array(mapped.slice(m.offset, m.offset + m.bytes)) };
      staging[k]!.buffer.unmap();
    });
    return results;
  } catch (error) {
    throw context.disposed ? disposedError("read") : await state.explain("read", error);
  } finally {
    for (const s of staging) pool.release(s);
  }
}
