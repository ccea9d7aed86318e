/**
 * @module Ordering of dotted version strings: product serials (`20251120`, `20251120.1`) and release
 * numbers (`9.10` < `24.04`). Plain string order gets both wrong at a digit-count boundary.
 */

const DIGITS = /^\d+$/;

/**
 * Compares dot-separated strings part by part: two all-digit parts numerically, anything else by code
 * unit; an all-digit part sorts before a non-numeric one, and a prefix sorts first (`20251120` < `20251120.1`).
 * @example ['20251120.10', '20251120.9', '20251119'].sort(compareVersions) // ['20251119', '20251120.9', '20251120.10']
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.split('.');
  const right = b.split('.');
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    const xNum = DIGITS.test(x);
    const yNum = DIGITS.test(y);
    if (xNum && yNum) {
      // Compare without Number() so long digit runs never lose precision: strip zeros, then length, then text.
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      continue;
    }
    if (xNum !== yNum) return xNum ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}
