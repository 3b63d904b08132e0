import { type DType, UnfoldError } from "@unfold/core";

const PAGE = 65536;
/** Every region starts on a 16-byte boundary: whole v128 lanes for the SIMD kernels. */
const ALIGN = 16;
/** 2 GiB: a shared memory must declare its maximum; this is only reserved address space. */
const MAX_PAGES = 32768;

interface Free {
  start: number;
  size: number;
}

/**
 * All tensors of a CPU backend live in one WebAssembly memory, so JavaScript loops (through
 * typed-array views) and WebAssembly kernels (through byte offsets) work on the same bytes, and
 * worker threads share them when the memory is shared. Regions come from a first-fit free list
 * that coalesces on release, so a steady loop of runs reuses the same bytes and never grows.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private free: Free[] = [];
  private live = 0;
  private peak = 0;
  private views: { buffer: ArrayBufferLike; f32: Float32Array; f64: Float64Array; i32: Int32Array } | undefined;
  private isClosed = false;

  constructor(options: { shared?: boolean; initialBytes?: number } = {}) {
    const initial = Math.max(1, Math.ceil((options.initialBytes ?? 1 << 20) / PAGE));
    this.shared = options.shared ?? typeof SharedArrayBuffer !== "undefined";
    this.memory = new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: this.shared });
    this.free = [{ start: 0, size: initial * PAGE }];
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes in regions handed out and not yet released (alignment included). */
  get liveBytes(): number {
    return this.live;
  }

  /** The most bytes live at once since the arena was made or since resetPeak(). */
  get peakLiveBytes(): number {
    return this.peak;
  }

  /** Starts a new peak from what is live now: to measure one piece of work. */
  resetPeak(): void {
    this.peak = this.live;
  }

  /**
   * Whether the backend that owns the arena was disposed: its tensors and executables are dead
   * then, and a region released afterwards must not go back on the free list.
   */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Marks the arena closed (see `closed`); allocating afterwards is an error. */
  close(): void {
    this.isClosed = true;
  }

  /** Reserves `bytes` (rounded up to the alignment) and returns the byte offset. */
  alloc(bytes: number): number {
    if (this.isClosed) throw new UnfoldError("cpu backend", "memory allocated after dispose()");
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let index = this.free.findIndex((f) => f.size >= size);
    if (index < 0) {
      this.grow(size);
      index = this.free.findIndex((f) => f.size >= size);
    }
    const block = this.free[index]!;
    const start = block.start;
    this.live += size;
    this.peak = Math.max(this.peak, this.live);
    if (block.size === size) this.free.splice(index, 1);
    else {
      block.start += size;
      block.size -= size;
    }
    return start;
  }

  /** Returns a block `alloc` gave back to the free list, merged with free neighbours. */
  release(start: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.live -= size;
    this.addFree(start, size);
  }

  private addFree(start: number, size: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < start) i++;
    this.free.splice(i, 0, { start, size });
    // Coalesce with the neighbours so fragmentation does not accumulate across runs.
    const next = this.free[i + 1];
    if (next && start + size === next.start) {
      this.free[i]!.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.size === start) {
      prev.size += this.free[i]!.size;
      this.free.splice(i, 1);
    }
  }

  /** Views over the whole memory; rebuilt when growth replaced the buffer. */
  get f32(): Float32Array {
    return this.refresh().f32;
  }
  get f64(): Float64Array {
    return this.refresh().f64;
  }
  get i32(): Int32Array {
    return this.refresh().i32;
  }

  /** A typed-array view of the whole memory for `dtype`. */
  view(dtype: DType): Float32Array | Float64Array {
    return dtype === "float32" ? this.f32 : this.f64;
  }

  private refresh(): { f32: Float32Array; f64: Float64Array; i32: Int32Array } {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.buffer !== buffer) {
      this.views = { buffer, f32: new Float32Array(buffer), f64: new Float64Array(buffer), i32: new Int32Array(buffer) };
    }
    return this.views;
  }

  private grow(size: number): void {
    const oldBytes = this.bytes;
    const current = oldBytes / PAGE;
    const needed = Math.ceil(size / PAGE);
    if (current + needed > MAX_PAGES) {
      throw new UnfoldError("cpu backend", `out of memory: ${size} more bytes would pass the ${MAX_PAGES * PAGE} byte limit`);
    }
    // Grow by half again (amortised), but only what is needed has to fit: near the limit, the
    // extra half is capped there rather than failing a request the memory still has room for.
    const pages = Math.min(Math.max(needed, Math.ceil(current / 2)), MAX_PAGES - current);
    this.memory.grow(pages);
    this.addFree(oldBytes, pages * PAGE);
  }
}
