import { type XmlElement, findAll, parseXml } from "./xml.js";

export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Parses a chart (failing on malformed XML) and reads its plot rectangle. */
export function readChart(svg: string): { root: XmlElement; area: PlotArea } {
  const root = parseXml(svg);
  const rect = findAll(root, "rect").find((r) => r.attributes["class"] === "plot-area");
  if (!rect) throw new Error("no plot-area rect");
  const n = (k: string): number => Number(rect.attributes[k]);
  return { root, area: { left: n("x"), top: n("y"), width: n("width"), height: n("height") } };
}

export function ofClass(root: XmlElement, name: string, cls: string): XmlElement[] {
  return findAll(root, name).filter((e) => e.attributes["class"] === cls);
}

export function points(polyline: XmlElement): [number, number][] {
  return polyline.attributes["points"]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

export function num(e: XmlElement, attribute: string): number {
  return Number(e.attributes[attribute]);
}
