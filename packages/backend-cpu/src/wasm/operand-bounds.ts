/**
 * Bounds checks of operands in the shared memory, before a kernel runs on them: the plain path's
 * typed arrays would silently read undefined / drop writes, and a worker's trap would lose its
 * message. Messages start with `what` (the kernel: "gemm", "gemm: gramSoftmax").
 */

/** Whether x is a non-negative integer (a size or a count). */
export function isCount(x: number): boolean {
  return Number.isInteger(x) && x >= 0;
}

/** Rejects an operand (rows x cols, element strides rs and cs, byte offset) that leaves the memory or is misaligned. */
export function checkOperand(what: string, name: string, es: number, memoryBytes: number, offset: number, rows: number, rs: number, cols: number, cs: number): void {
  if (rows === 0 || cols === 0) return;
  if (!Number.isInteger(offset) || offset % es !== 0) throw new RangeError(`${what}: ${name} offset ${offset} is not a multiple of ${es}`);
  const lo = offset + (Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs)) * es;
  const hi = offset + (Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs) + 1) * es;
  if (lo < 0 || hi > memoryBytes) throw new RangeError(`${what}: ${name} spans bytes [${lo}, ${hi}) outside the memory (${memoryBytes} bytes)`);
}

/** Rejects a scratch region that leaves the memory. */
export function checkScratch(what: string, scratch: number, scratchBytes: number, memoryBytes: number): void {
  if (!(scratch >= 0 && scratch + scratchBytes <= memoryBytes)) throw new RangeError(`${what}: scratch [${scratch}, ${scratch + scratchBytes}) is outside the memory (${memoryBytes} bytes)`);
}
