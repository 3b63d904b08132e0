/** A plain aligned text table: numbers right-aligned, an all-integer column without decimals. */
export function formatTable(header, rows) {
    const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === "number"));
    const integral = header.map((_, i) => numeric[i] && rows.every((r) => Number.isInteger(r[i])));
    const cells = [header, ...rows.map((r) => r.map((c, i) => (typeof c === "number" ? formatNumber(c, integral[i]) : c)))];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
    const line = (r) => r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd();
    return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
export function formatNumber(x, integral = false) {
    if (integral)
        return String(x);
    if (x === 0)
        return "0";
    const abs = Math.abs(x);
    return abs >= 1e-3 && abs < 1e6 ? x.toFixed(6) : x.toExponential(3);
}
/** A plain aligned text table of preformatted cells, the columns flagged in `rightAligned` right-aligned. */
export function formatAlignedTable(header, rows, rightAligned) {
    const cells = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
    const line = (r) => r.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
    return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
/** Fixed decimals for ordinary magnitudes, exponent form for tiny ones, "-" for none. */
export function fixed(x, decimals) {
    if (x === null)
        return "-";
    if (x !== 0 && Math.abs(x) < 10 ** -decimals)
        return x.toExponential(1);
    return x.toFixed(decimals);
}
export function scientific(x) {
    if (x === null)
        return "-";
    return x === 0 ? "0" : x.toExponential(1);
}
