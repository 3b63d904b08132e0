/** Buffer usage flags (numeric, so nothing depends on the GPUBufferUsage global being installed). */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 } as const;

/** What a pooled buffer is for: kernels' storage, or staging a readback to the host. */
export type BufferKind = "storage" | "readback";

const USAGE_OF: Record<BufferKind, number> = {
  storage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
  readback: USAGE.MAP_READ | USAGE.COPY_DST,
};

/** A GPU buffer on loan from the pool; `id` names it in bind-group cache keys. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly id: number;
  /** The buffer's real size: its size class. */
  readonly bytes: number;
  readonly kind: BufferKind;
}

/** What the pool holds, in buffers and bytes. */
export interface PoolStats {
  /** On loan: resident tensors, outputs not yet disposed, plans' workspaces, pending readbacks. */
  readonly liveBytes: number;
  readonly liveBuffers: number;
  /** The most bytes on loan at once since the pool was made or since resetPeak(). */
  readonly peakLiveBytes: number;
  /** Free, kept for reuse. */
  readonly pooledBytes: number;
  readonly pooledBuffers: number;
  /** Buffers ever created (a steady loop stops adding to this). */
  readonly createdBuffers: number;
}

/** Smallest class: tiny tensors (scalars, biases) share one size. */
const MIN_BYTES = 256;

/**
 * Rounds a request up to its size class: four classes per power of two, so a reused buffer
 * wastes at most a quarter of itself, and tensors of nearby sizes share buffers.
 */
export function sizeClass(bytes: number, limit = Number.POSITIVE_INFINITY): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const step = 2 ** Math.floor(Math.log2(bytes)) / 4;
  const size = Math.ceil(bytes / step) * step;
  // Never round past the device's limit when the request itself fits under it.
  return size > limit && bytes <= limit ? Math.ceil(bytes / 4) * 4 : size;
}

/**
 * Reuses GPU buffers by size class and kind. Buffers are created on a miss and returned on
 * release; free buffers past `maxPooledBytes` are destroyed, so a burst does not pin memory.
 */
export class BufferPool {
  private readonly free = new Map<string, PooledBuffer[]>();
  private readonly loaned = new Set<PooledBuffer>();
  private nextId = 1;
  private pooledBytes = 0;
  private liveBytes = 0;
  private peakLiveBytes = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly limit: number,
    private readonly maxPooledBytes = 512 * 2 ** 20,
  ) {}

  acquire(bytes: number, kind: BufferKind = "storage"): PooledBuffer {
    const size = sizeClass(bytes, this.limit);
    const key = `${kind}:${size}`;
    const reused = this.free.get(key)?.pop();
    if (reused) {
      this.pooledBytes -= reused.bytes;
      this.loan(reused);
      return reused;
    }
    const buffer = this.device.createBuffer({ size, usage: USAGE_OF[kind] });
    const pooled: PooledBuffer = { buffer, id: this.nextId++, bytes: size, kind };
    this.created++;
    this.loan(pooled);
    return pooled;
  }

  private loan(pooled: PooledBuffer): void {
    this.loaned.add(pooled);
    this.liveBytes += pooled.bytes;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
  }

  /** Starts a new peak from what is on loan now, to measure the memory of one piece of work. */
  resetPeak(): void {
    this.peakLiveBytes = this.liveBytes;
  }

  release(pooled: PooledBuffer): void {
    if (!this.loaned.delete(pooled)) return; // released twice, or after the pool was destroyed
    this.liveBytes -= pooled.bytes;
    if (this.pooledBytes + pooled.bytes > this.maxPooledBytes) {
      pooled.buffer.destroy();
      return;
    }
    const key = `${pooled.kind}:${pooled.bytes}`;
    const list = this.free.get(key) ?? [];
    list.push(pooled);
    this.free.set(key, list);
    this.pooledBytes += pooled.bytes;
  }

  stats(): PoolStats {
    let pooledBuffers = 0;
    for (const list of this.free.values()) pooledBuffers += list.length;
    return {
      liveBytes: this.liveBytes,
      liveBuffers: this.loaned.size,
      peakLiveBytes: this.peakLiveBytes,
      pooledBytes: this.pooledBytes,
      pooledBuffers,
      createdBuffers: this.created,
    };
  }

  /** Destroys every buffer, loaned or free. */
  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.buffer.destroy();
    for (const b of this.loaned) b.buffer.destroy();
    this.free.clear();
    this.loaned.clear();
    this.pooledBytes = 0;
    this.liveBytes = 0;
  }
}
