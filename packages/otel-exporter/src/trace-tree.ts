import { AgentEventName, semconv as sc } from '@agentrace/core';
import { type Attributes, type HrTime, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { formatCost, formatCount, formatDuration, type Style } from './terminal-style.js';

/** Options of {@link renderTraceTree}. */
export interface TraceTreeOptions {
  readonly style: Style;
  /** Name of a span outside this batch (the source of a handoff link), if known. */
  readonly spanName?: (spanId: string) => string | undefined;
  /** Most spans and events shown under one span; the middle of a longer list is elided. Default 60. */
  readonly maxChildren?: number;
  /** Marks the roots as incomplete (their trace's root never ended before shutdown). */
  readonly incomplete?: boolean;
}

const DEFAULT_MAX_CHILDREN = 60;
/** How many entries of an elided list are kept at its end (the rest at its start). */
const TAIL_KEPT = 10;
const MAX_MESSAGE = 80;

type Entry = { at: HrTime; span: ReadableSpan } | { at: HrTime; event: TimedEvent };

/**
 * Renders finished spans as a tree: agent → turns → attempts → tools, one line each with status, duration,
 * tokens and cost, and the events that explain a run (recovery, breaker, budget, handoff, permission, guardrail,
 * evaluation) as leaves in time order. Spans whose parent is not among `spans` are roots.
 */
export function renderTraceTree(spans: readonly ReadableSpan[], opts: TraceTreeOptions): string {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = new Map<string, ReadableSpan[]>();
  const roots: ReadableSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    if (parent !== undefined && ids.has(parent)) {
      let list = children.get(parent);
      if (!list) {
        list = [];
        children.set(parent, list);
      }
      list.push(span);
    } else {
      roots.push(span);
    }
  }
  const out: string[] = [];
  const maxChildren = Math.max(TAIL_KEPT + 1, opts.maxChildren ?? DEFAULT_MAX_CHILDREN);
  const walk = (span: ReadableSpan, prefix: string, connector: string, childPrefix: string) => {
    out.push(prefix + connector + spanLine(span, opts.style));
    const kids = children.get(span.spanContext().spanId) ?? [];
    const entries: Entry[] = [
      ...kids.map((s) => ({ at: s.startTime, span: s })),
      ...span.events
        .filter((e) => describeEvent(e, opts.style) !== undefined && !repeatedBelow(e, kids))
        .map((e) => ({ at: e.time, event: e })),
    ].sort(byTimeEventsFirst);
    const extra = linkLines(span, opts);
    const shown = elide(entries, maxChildren);
    const total = extra.length + shown.length;
    let i = 0;
    const next = () => {
      i += 1;
      return i === total;
    };
    for (const line of extra) {
      const last = next();
      out.push(prefix + childPrefix + (last ? '└─ ' : '├─ ') + line);
    }
    for (const entry of shown) {
      const last = next();
      const conn = last ? '└─ ' : '├─ ';
      if (typeof entry === 'number') {
        out.push(prefix + childPrefix + conn + opts.style.dim(`… ${entry} more …`));
      } else if ('span' in entry) {
        walk(entry.span, prefix + childPrefix, conn, last ? '   ' : '│  ');
      } else {
        out.push(prefix + childPrefix + conn + (describeEvent(entry.event, opts.style) as string));
      }
    }
  };
  for (const root of roots.sort((a, b) => compareHr(a.startTime, b.startTime))) {
    walk(root, '', '', '');
  }
  if (opts.incomplete && out.length > 0) {
    out.unshift(opts.style.yellow('(trace incomplete: its root span had not ended at shutdown)'));
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * Whether a child span carries the same event (same name and attributes): core records a budget overrun on the
 * turn and on the agent span, so a dashboard finds it on either; the tree shows it once, where it happened.
 */
function repeatedBelow(event: TimedEvent, kids: readonly ReadableSpan[]): boolean {
  const key = eventKey(event);
  return kids.some((k) => k.events.some((e) => e.name === event.name && eventKey(e) === key));
}

function eventKey(event: TimedEvent): string {
  const a = event.attributes ?? {};
  return JSON.stringify(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );
}

function elide(entries: Entry[], max: number): Array<Entry | number> {
  if (entries.length <= max) return entries;
  const head = max - TAIL_KEPT - 1;
  return [...entries.slice(0, head), entries.length - head - TAIL_KEPT, ...entries.slice(-TAIL_KEPT)];
}

// A span event and a child span stamped this close together happened in that order at one instant (an event
// announcing what the next span does): span start times and event times are anchored slightly differently.
const SAME_INSTANT_NS = 1_000_000;

/** Chronological, but an event within a millisecond of a child span's start comes first. */
function byTimeEventsFirst(a: { at: HrTime; event?: unknown }, b: { at: HrTime; event?: unknown }): number {
  const delta = (a.at[0] - b.at[0]) * 1e9 + (a.at[1] - b.at[1]);
  const aEvent = a.event !== undefined;
  if (aEvent !== (b.event !== undefined) && Math.abs(delta) < SAME_INSTANT_NS) return aEvent ? -1 : 1;
  return delta;
}

function compareHr(a: HrTime, b: HrTime): number {
  return a[0] - b[0] || a[1] - b[1];
}

function str(attrs: Attributes | undefined, key: string): string | undefined {
  const v = attrs?.[key];
  return typeof v === 'string' ? v : undefined;
}

function num(attrs: Attributes | undefined, key: string): number | undefined {
  const v = attrs?.[key];
  return typeof v === 'number' ? v : undefined;
}

function truncate(s: string, max = MAX_MESSAGE): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** `name  status  duration  tokens  cost  details`. */
function spanLine(span: ReadableSpan, style: Style): string {
  const a = span.attributes;
  const parts: string[] = [style.bold(span.name)];
  const provider = str(a, sc.ATTR_GEN_AI_PROVIDER_NAME);
  const operation = str(a, sc.ATTR_GEN_AI_OPERATION_NAME);
  const isAgentSpan =
    operation === sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT ||
    operation === sc.GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW;
  const attempt = num(a, sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT);
  // Attempt spans already name their target (`attempt 2 anthropic/claude`).
  if (provider !== undefined && !isAgentSpan && attempt === undefined)
    parts[0] += style.dim(` (${provider})`);
  const status = statusText(span, style);
  if (status) parts.push(status);
  parts.push(style.dim(formatDuration(hrTimeToMilliseconds(span.duration))));
  // Core names attempt spans `attempt {n} {provider}/{model}`; repeat the number only for other names.
  if (attempt !== undefined && !span.name.startsWith(`attempt ${attempt}`)) parts.push(`attempt ${attempt}`);
  const outcome = turnOutcome(a, style);
  if (outcome) parts.push(outcome);
  const steps = list(a, sc.ATTR_AGENTRACE_RECOVERY_STEP);
  if (steps.length > 0) parts.push(style.yellow(`→ ${steps.join(', ')}`));
  const skipped = list(a, sc.ATTR_AGENTRACE_RECOVERY_SKIPPED_STEPS);
  if (skipped.length > 0) parts.push(style.dim(`(skipped ${skipped.join(', ')})`));
  const backoff = num(a, sc.ATTR_AGENTRACE_RECOVERY_BACKOFF_MS);
  if (backoff !== undefined) parts.push(style.dim(`backoff ${formatDuration(backoff)}`));
  const tokens = tokenText(a);
  if (tokens) parts.push(tokens);
  const cost = num(a, sc.ATTR_AGENTRACE_USAGE_COST);
  // An agent that made no model call has zero usage recorded; figures would only be noise. A priced-at-zero
  // call (an unpriced model) still shows its $0.
  if (cost !== undefined && (tokens !== undefined || cost > 0)) parts.push(style.green(formatCost(cost)));
  // A denied or blocked tool's event line already gives the reason; the status message would repeat it.
  const explained = outcomeExplainedByEvent(a);
  if (span.status.code === SpanStatusCode.ERROR && span.status.message && !explained) {
    parts.push(style.dim(JSON.stringify(truncate(span.status.message))));
  }
  if (span.parentSpanContext === undefined || span.parentSpanContext.isRemote) {
    parts.push(style.dim(`trace ${span.spanContext().traceId}`));
  }
  return parts.join('  ');
}

function statusText(span: ReadableSpan, style: Style): string | undefined {
  const a = span.attributes;
  const errorType = str(a, ATTR_ERROR_TYPE);
  const session = str(a, sc.ATTR_AGENTRACE_SESSION_STATUS);
  if (session === 'completed') return style.green('✓ completed');
  if (session === 'cancelled') return style.yellow('⊘ cancelled');
  if (session === 'failed') return style.red(`✗ failed${errorType ? ` (${errorType})` : ''}`);
  if (a[sc.ATTR_AGENTRACE_CANCELLED] === true) return style.yellow('⊘ cancelled');
  const outcome = str(a, sc.ATTR_AGENTRACE_TOOL_OUTCOME);
  if (outcome !== undefined && outcome !== 'ok')
    return style.red(`✗ ${outcome}${errorType ? ` (${errorType})` : ''}`);
  if (span.status.code === SpanStatusCode.ERROR) return style.red(`✗ ${errorType ?? 'error'}`);
  if (str(a, sc.ATTR_GEN_AI_OPERATION_NAME) !== undefined) return style.green('✓');
  return undefined;
}

/** A turn that needed more than one attempt: how it ended. */
function turnOutcome(a: Attributes, style: Style): string | undefined {
  const attempts = num(a, sc.ATTR_AGENTRACE_TURN_ATTEMPTS);
  const outcome = str(a, sc.ATTR_AGENTRACE_TURN_OUTCOME);
  if (outcome === undefined || (outcome === 'ok' && (attempts ?? 1) <= 1)) return undefined;
  const after = attempts !== undefined ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
  const text = `${outcome.replace(/_/g, ' ')}${after}`;
  return outcome === 'recovered' || outcome === 'ok' ? style.yellow(`↻ ${text}`) : style.red(text);
}

function list(attrs: Attributes | undefined, key: string): string[] {
  const v = attrs?.[key];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function outcomeExplainedByEvent(a: Attributes): boolean {
  const outcome = str(a, sc.ATTR_AGENTRACE_TOOL_OUTCOME);
  return outcome === 'denied' || outcome === 'blocked';
}

function tokenText(a: Attributes): string | undefined {
  const input = num(a, sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS);
  const output = num(a, sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS);
  if ((input ?? 0) === 0 && (output ?? 0) === 0) return undefined;
  let text = `in ${formatCount(input ?? 0)} · out ${formatCount(output ?? 0)}`;
  const cached = num(a, sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS) ?? 0;
  if (cached > 0) text += ` (cache read ${formatCount(cached)})`;
  return `${text} tok`;
}

function linkLines(span: ReadableSpan, opts: TraceTreeOptions): string[] {
  const lines: string[] = [];
  for (const link of span.links) {
    if (str(link.attributes, sc.ATTR_AGENTRACE_LINK_TYPE) !== 'handoff') continue;
    const id = link.context.spanId;
    const name = opts.spanName?.(id);
    lines.push(opts.style.magenta(`↪ handed off from ${name ?? 'span'} ${opts.style.dim(id)}`));
  }
  return lines;
}

function target(provider: string | undefined, model: string | undefined): string | undefined {
  if (provider === undefined) return model;
  return model !== undefined ? `${provider}/${model}` : provider;
}

/** One line for an event worth seeing in the tree, or undefined for the rest (lifecycle noise, exceptions). */
export function describeEvent(event: TimedEvent, style: Style): string | undefined {
  const a = event.attributes;
  switch (event.name) {
    case AgentEventName.RECOVERY_ATTEMPTED:
    case AgentEventName.RECOVERY_SUCCEEDED:
    case AgentEventName.RECOVERY_FAILED:
    case AgentEventName.RECOVERY_ESCALATED: {
      const type = str(a, sc.ATTR_AGENTRACE_RECOVERY_EVENT_TYPE) ?? event.name.split('.').at(-1);
      const parts = [`↻ recovery ${type}: ${str(a, sc.ATTR_AGENTRACE_RECOVERY_SCENARIO) ?? 'unknown'}`];
      const attempt = num(a, sc.ATTR_AGENTRACE_RECOVERY_ATTEMPT);
      // Attempts are 1-based; a count of 0 (no attempt recorded yet in that context) says nothing.
      if (attempt !== undefined && attempt > 0) parts.push(`attempt ${attempt}`);
      const steps = a?.[sc.ATTR_AGENTRACE_RECOVERY_STEPS];
      if (Array.isArray(steps) && steps.length > 0) parts.push(`steps ${steps.join(', ')}`);
      const policy = str(a, sc.ATTR_AGENTRACE_RECOVERY_ESCALATION_POLICY);
      if (policy) parts.push(`policy ${policy}`);
      const reason = str(a, sc.ATTR_AGENTRACE_RECOVERY_REASON);
      if (reason) parts.push(truncate(reason));
      const text = parts.join(' · ');
      return type === 'escalated' || type === 'failed' ? style.red(text) : style.yellow(text);
    }
    case AgentEventName.RECOVERY_PROVIDER_SWITCHED: {
      const from = target(
        str(a, sc.ATTR_AGENTRACE_RECOVERY_FROM_PROVIDER),
        str(a, sc.ATTR_AGENTRACE_RECOVERY_FROM_MODEL),
      );
      const to = target(str(a, sc.ATTR_GEN_AI_PROVIDER_NAME), str(a, sc.ATTR_GEN_AI_REQUEST_MODEL));
      const reason = str(a, sc.ATTR_AGENTRACE_RECOVERY_REASON);
      const detail =
        from && to ? `${from} → ${to}${reason ? ` (${reason})` : ''}` : str(a, sc.ATTR_AGENT_DETAIL);
      return style.yellow(`↻ provider switched${detail ? `: ${truncate(detail)}` : ''}`);
    }
    case AgentEventName.CIRCUIT_OPENED:
    case AgentEventName.CIRCUIT_HALF_OPENED:
    case AgentEventName.CIRCUIT_CLOSED: {
      const to = str(a, sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_STATE) ?? event.name.split('.').at(-1);
      const text = `⚡ circuit ${str(a, sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_NAME) ?? ''}: ${str(a, sc.ATTR_AGENTRACE_CIRCUIT_BREAKER_FROM) ?? '?'} → ${to}`;
      return to === 'open' ? style.red(text) : to === 'closed' ? style.green(text) : style.yellow(text);
    }
    case AgentEventName.BUDGET_EXCEEDED: {
      const spent = num(a, sc.ATTR_AGENTRACE_BUDGET_SPENT_USD);
      const budget = num(a, sc.ATTR_AGENTRACE_BUDGET_USD);
      const enforced = a?.[sc.ATTR_AGENTRACE_BUDGET_ENFORCED] === true;
      const text =
        `$ budget exceeded: spent ${spent !== undefined ? formatCost(spent) : '?'}` +
        ` of ${budget !== undefined ? formatCost(budget) : '?'}${enforced ? ' (enforced)' : ' (warning)'}`;
      return enforced ? style.red(text) : style.yellow(text);
    }
    case AgentEventName.AGENT_HANDOFF: {
      const reason = str(a, sc.ATTR_AGENTRACE_HANDOFF_REASON);
      return style.magenta(
        `→ handoff to ${str(a, sc.ATTR_AGENTRACE_HANDOFF_TARGET) ?? '?'}${reason ? `: ${truncate(reason)}` : ''}`,
      );
    }
    case AgentEventName.PERMISSION_DENIED: {
      const reason = str(a, sc.ATTR_AGENTRACE_PERMISSION_REASON);
      const active = str(a, sc.ATTR_AGENTRACE_PERMISSION_ACTIVE_MODE);
      const required = str(a, sc.ATTR_AGENTRACE_PERMISSION_REQUIRED_MODE);
      const why = reason ? truncate(reason) : active && required ? `${active}, needs ${required}` : undefined;
      return style.red(`⛔ permission denied${why ? `: ${why}` : ''}`);
    }
    case AgentEventName.GUARDRAIL_BLOCKED: {
      const reason = str(a, sc.ATTR_AGENTRACE_GUARDRAIL_REASON);
      return style.red(
        `⛔ guardrail ${str(a, sc.ATTR_AGENTRACE_GUARDRAIL_NAME) ?? '?'} blocked` +
          ` (${str(a, sc.ATTR_AGENTRACE_GUARDRAIL_STAGE) ?? '?'})${reason ? `: ${truncate(reason)}` : ''}`,
      );
    }
    case sc.EVENT_GEN_AI_EVALUATION_RESULT: {
      const label = str(a, sc.ATTR_GEN_AI_EVALUATION_SCORE_LABEL);
      const explanation = str(a, sc.ATTR_GEN_AI_EVALUATION_EXPLANATION);
      const text = `◆ evaluation ${str(a, sc.ATTR_GEN_AI_EVALUATION_NAME) ?? ''}: ${label ?? '?'}${explanation ? ` (${truncate(explanation)})` : ''}`;
      return label === 'fail' ? style.red(text) : style.green(text);
    }
    case AgentEventName.AGENT_WAITING_FOR_INPUT:
      return style.dim('… waiting for input');
    default:
      return undefined;
  }
}
