import { setTimeout as sleep } from 'node:timers/promises';
import type { Guardrail, GuardrailOutcome } from '@agentrace/core';
import type { SeededRandom } from './random.js';
import type { SimulatedClock } from './simulated-clock.js';

/** A source the simulated web search finds. */
export interface Source {
  readonly url: string;
  readonly title: string;
}

/** A page the simulated fetch returns. */
export interface Page {
  readonly url: string;
  readonly text: string;
}

const SITES = [
  'martinfowler.com',
  'sre.google',
  'aws.amazon.com/builders-library',
  'learn.microsoft.com/azure/architecture',
  'opentelemetry.io',
  'resilience4j.readme.io',
] as const;

const TOPICS = [
  'Circuit breaker',
  'Timeouts, retries and backoff with jitter',
  'Handling overload',
  'Bulkheads and load shedding',
  'Semantic conventions for GenAI',
  'Rate limiting strategies',
] as const;

// A credential that a careless page leaks; the guardrail must keep it out of the agent's context. The shape is
// that of an OpenAI project key; the value is made up.
const LEAKED_KEY = 'sk-proj-SIMULATEDq8Jx2dLw0sP4mT7vR1yZ5bN3cF6hK9';

/** Matches API keys and tokens in tool output (OpenAI, Anthropic, AWS access keys, GitHub tokens). */
const SECRET = /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,})\b/;

/**
 * A post-call guardrail: refuses a tool result that carries a credential, so it never reaches the model's context
 * (or a trace). The reason names what was found, never the value.
 */
export const noSecretsGuardrail: Guardrail = {
  name: 'no_secrets',
  checkPost(value: unknown): GuardrailOutcome {
    const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    return SECRET.test(text)
      ? { allowed: false, reason: 'tool output contains an API key' }
      : { allowed: true };
  },
};

/**
 * The demo's tools, **simulated**: a web search, a page fetch, file writes and a link check, each taking a drawn
 * simulated latency (advancing the simulation's clock), with results drawn from a seeded stream.
 */
export class SimulatedTools {
  readonly #random: SeededRandom;
  readonly #clock: SimulatedClock;
  readonly #files = new Map<string, string>();

  constructor(opts: { random: SeededRandom; clock: SimulatedClock }) {
    this.#random = opts.random;
    this.#clock = opts.clock;
  }

  /** Files written so far (path → content). */
  get files(): ReadonlyMap<string, string> {
    return this.#files;
  }

  async #take(minMs: number, maxMs: number, signal: AbortSignal): Promise<void> {
    const ms = this.#random.int(minMs, maxMs);
    await sleep(ms, undefined, { signal });
    this.#clock.advance(ms);
  }

  /** `web_search`: four to five sources on the query. */
  async webSearch(query: string, signal: AbortSignal): Promise<Source[]> {
    const count = this.#random.int(4, 5);
    const sources = Array.from({ length: count }, (_, i) => {
      const site = this.#random.pick(SITES);
      const topic = this.#random.pick(TOPICS);
      return { url: `https://${site}/${slug(topic)}-${i + 1}`, title: `${topic} — ${query}` };
    });
    await this.#take(15, 35, signal);
    return sources;
  }

  /** `fetch_page`: the page's text. With `leaksKey`, the page carries a credential (the guardrail's catch). */
  async fetchPage(source: Source, signal: AbortSignal, leaksKey = false): Promise<Page> {
    const words = this.#random.int(300, 600);
    let text = `${source.title}. ${'Failures cascade unless calls are bounded. '.repeat(Math.ceil(words / 6))}`;
    if (leaksKey) text += `\nexport OPENAI_API_KEY=${LEAKED_KEY}\n`;
    await this.#take(10, 30, signal);
    return { url: source.url, text };
  }

  /** `write_file` / `save_draft`: stores the content under `path`. */
  async writeFile(
    path: string,
    content: string,
    signal: AbortSignal,
  ): Promise<{ path: string; bytes: number }> {
    await this.#take(5, 15, signal);
    this.#files.set(path, content);
    return { path, bytes: Buffer.byteLength(content) };
  }

  /**
   * `check_links`: checks every link of a draft. Slow on purpose (it fetches each link): its simulated time is
   * what lets an open circuit reach its recovery timeout before the editor's next model call.
   */
  async checkLinks(
    links: readonly string[],
    signal: AbortSignal,
  ): Promise<{ checked: number; broken: number }> {
    const broken = this.#random.int(0, 1);
    await this.#take(330, 420, signal);
    return { checked: links.length, broken };
  }
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
