/**
 * Pearson's chi-square test that two samples of categories come from one distribution. Categories
 * seen fewer than `minCount` times in both samples together are pooled into one, so that no
 * expected count is too small for the test's approximation.
 */
export function chiSquareHomogeneity(
  a: readonly string[],
  b: readonly string[],
  minCount = 10,
): { statistic: number; degreesOfFreedom: number; pValue: number; categories: number } {
  const counts = new Map<string, [number, number]>();
  for (const [sample, column] of [
    [a, 0],
    [b, 1],
  ] as const) {
    for (const category of sample) {
      const entry = counts.get(category) ?? [0, 0];
      entry[column]++;
      counts.set(category, entry);
    }
  }
  const pooled: [number, number] = [0, 0];
  const rows: [number, number][] = [];
  for (const entry of counts.values()) {
    if (entry[0] + entry[1] >= minCount) rows.push(entry);
    else {
      pooled[0] += entry[0];
      pooled[1] += entry[1];
    }
  }
  if (pooled[0] + pooled[1] > 0) rows.push(pooled);
  const total = [a.length, b.length];
  const n = a.length + b.length;
  let statistic = 0;
  for (const row of rows) {
    const rowTotal = row[0] + row[1];
    for (const column of [0, 1] as const) {
      const expected = (rowTotal * total[column]!) / n;
      statistic += (row[column] - expected) ** 2 / expected;
    }
  }
  const degreesOfFreedom = Math.max(1, rows.length - 1);
  return { statistic, degreesOfFreedom, pValue: upperRegularizedGamma(degreesOfFreedom / 2, statistic / 2), categories: rows.length };
}

/** Q(s, x) = Γ(s, x) / Γ(s): the chi-square survival function is Q(k/2, x/2). */
export function upperRegularizedGamma(s: number, x: number): number {
  if (x <= 0) return 1;
  if (x < s + 1) {
    // Series for the lower function P(s, x).
    let term = 1 / s;
    let sum = term;
    for (let k = 1; k < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; k++) {
      term *= x / (s + k);
      sum += term;
    }
    return 1 - sum * Math.exp(-x + s * Math.log(x) - logGamma(s));
  }
  // Lentz's continued fraction for Q(s, x).
  const tiny = 1e-300;
  let b = x + 1 - s;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + s * Math.log(x) - logGamma(s)) * h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
