export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export type Point = readonly [number, number];

// Points this close outside the frame (rounding) still count as inside.
const SLACK = 0.5;

export function contains(rect: Rect, [x, y]: Point): boolean {
  return x >= rect.left - SLACK && x <= rect.left + rect.width + SLACK && y >= rect.top - SLACK && y <= rect.top + rect.height + SLACK;
}

/** The parameters t0 <= t1 in [0, 1] of the part of segment a-b inside rect (Liang-Barsky), or null. */
function clipSegment(a: Point, b: Point, rect: Rect): [number, number] | null {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  let t0 = 0;
  let t1 = 1;
  const edges: [number, number][] = [
    [-dx, a[0] - (rect.left - SLACK)],
    [dx, rect.left + rect.width + SLACK - a[0]],
    [-dy, a[1] - (rect.top - SLACK)],
    [dy, rect.top + rect.height + SLACK - a[1]],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return null;
  }
  return [t0, t1];
}

/**
 * The pieces of a polyline inside rect. A chart clips geometrically rather than with an SVG
 * clipPath, because clipPath needs document-unique ids, which break when charts are nested into
 * one figure.
 */
export function clipPolyline(points: readonly Point[], rect: Rect): Point[][] {
  const runs: Point[][] = [];
  let current: Point[] = [];
  const flush = (): void => {
    if (current.length > 1) runs.push(current);
    current = [];
  };
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const clipped = clipSegment(a, b, rect);
    if (!clipped) {
      flush();
      continue;
    }
    const [t0, t1] = clipped;
    const at = (t: number): Point => [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    if (t0 > 0 || current.length === 0) {
      flush();
      current.push(at(t0));
    }
    current.push(at(t1));
    if (t1 < 1) flush();
  }
  flush();
  return runs;
}
