/**
 * The number of single-letter edits (insert, delete, replace, or swap two neighbours) that turn
 * `a` into `b`: the optimal-string-alignment distance. A swap counts as one edit because it is
 * the commonest slip of a typist (`trian` for `train`).
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between a's first i letters and b's first j.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const replace = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The word of `words` that `typed` most likely misspells, or undefined when none is close: at
 * most one edit for a word of up to five letters, two for a longer one (so `trian` finds
 * `train` and `hesian` finds `hessian`, but `run` finds nothing). Case is ignored; of words
 * equally close, the first listed wins.
 */
export function nearestWord(typed: string, words: readonly string[]): string | undefined {
  let nearest: { word: string; distance: number } | undefined;
  for (const word of words) {
    const distance = editDistance(typed.toLowerCase(), word.toLowerCase());
    const allowed = word.length <= 5 ? 1 : 2;
    if (distance <= allowed && (nearest === undefined || distance < nearest.distance)) nearest = { word, distance };
  }
  return nearest?.word;
}
