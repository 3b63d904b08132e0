/** Seconds as h:mm:ss (0:01:23), the hours unbounded; "-:--:--" when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "-:--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** A loss with four decimals, exponent form when that would hide it (or take too much room). */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  const abs = Math.abs(loss);
  return loss === 0 || (abs >= 1e-3 && abs < 1e4) ? loss.toFixed(4) : loss.toExponential(3);
}

/** Any other metric (learning rate, gradient norm): four significant digits. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (v === 0 || (abs >= 1e-3 && abs < 1e5)) return String(Number(v.toPrecision(4)));
  // 3e-4, not 3.00e-4: learning rates are written this way.
  return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
}

/** Throughput with the digits that matter at its size: 812, 45.3, 3.21. */
export function formatThroughput(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
}
