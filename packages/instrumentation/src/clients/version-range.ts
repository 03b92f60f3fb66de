/**
 * Whether `version` satisfies a range of the one form agentrace declares (`>=A.B.C <M`): enough to warn about
 * an unsupported client without a semver dependency. Prerelease tags are ignored; an unparsable version does
 * not satisfy.
 */
export function satisfiesMajorRange(version: string, range: string): boolean {
  const m = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || !v) return false;
  const [lo, hi] = [[Number(m[1]), Number(m[2]), Number(m[3])], Number(m[4])] as const;
  const ver = [Number(v[1]), Number(v[2]), Number(v[3])];
  if ((ver[0] as number) >= hi) return false;
  for (let i = 0; i < 3; i++) {
    if ((ver[i] as number) !== lo[i]) return (ver[i] as number) > (lo[i] as number);
  }
  return true;
}
