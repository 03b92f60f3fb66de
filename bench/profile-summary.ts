// Prints the hottest functions of a V8 .cpuprofile (self time, then inclusive time), module loading excluded.
//
//   node --import tsx profile-summary.ts <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [rows]');
const rows = Number(process.argv[3] ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

// Start-up work (module loading, the TypeScript loader) is not a turn's cost.
const STARTUP = /node:internal\/(modules|source_map)|\/tsx\/dist\//;
const startup = new Set<string>();
const nameOf = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '')}:${lineNumber + 1}`;
  if (STARTUP.test(url)) startup.add(name);
  return name;
};

const timeOf = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) {
  timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const [id, time] of timeOf) {
  const node = byId.get(id);
  if (!node) continue;
  total += time;
  self.set(nameOf(node), (self.get(nameOf(node)) ?? 0) + time);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
    const name = nameOf(byId.get(cur)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + time);
  }
}

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  const top = [...map].filter(([name]) => !startup.has(name)).sort((a, b) => b[1] - a[1]);
  for (const [name, time] of top.slice(0, rows))
    console.log(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${name}`);
};
print('self time', self);
print('inclusive time', inclusive);
