import {
  type AgentEvent,
  AgentRegistry,
  AgentSession,
  type AgentSessionOptions,
  type AttemptRecord,
  type CircuitBreaker,
  type EventSink,
  GuardrailViolatedError,
  type Handoff,
  PermissionDeniedError,
  PermissionEnforcer,
  PermissionMode,
  PermissionPolicy,
  QualityGate,
  QualityLevel,
  type RecoveryPolicy,
  type Session,
  semconv,
} from '@agentrace/core';
import {
  context,
  type MeterProvider,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { count, type Narrator, usd } from './narrator.js';
import type { SeededRandom } from './random.js';
import type { SimulatedClock } from './simulated-clock.js';
import {
  estimateTokens,
  responseText,
  type SimulatedProvider,
  type SimulatedResponse,
} from './simulated-provider.js';
import { noSecretsGuardrail, type SimulatedTools, type Source } from './simulated-tools.js';

/** `gen_ai.provider.name` of the simulated stand-ins (see the demo's README for why not `openai` / `anthropic`). */
export const SIMULATED_OPENAI = 'simulated.openai';
export const SIMULATED_ANTHROPIC = 'simulated.anthropic';

/** `gen_ai.workflow.name` of the demo's multi-agent run. */
export const WORKFLOW_NAME = 'research-report';

/** Per-attempt model-call timeout (ms): a stalled call fails after this. */
export const ATTEMPT_TIMEOUT_MS = 300;
/** How long the simulated OpenAI asks the researcher to wait (its 429's `retry-after-ms`). */
export const RETRY_AFTER_MS = 250;
/** The writer's budget (USD): informational, so crossing it warns and the writer carries on. */
export const WRITER_BUDGET_USD = 0.025;

/** The failover pairs: the same tier of model at each simulated provider, preferred first. */
const LARGE = [
  { provider: SIMULATED_OPENAI, model: 'gpt-4o' },
  { provider: SIMULATED_ANTHROPIC, model: 'claude-sonnet-4-5' },
] as const;
const SMALL = [
  { provider: SIMULATED_OPENAI, model: 'gpt-4o-mini' },
  { provider: SIMULATED_ANTHROPIC, model: 'claude-haiku-4-5' },
] as const;

/** What one round of the workflow needs. */
export interface WorkflowContext {
  /** 1-based round number. */
  readonly round: number;
  readonly topic: string;
  /** The round's random stream (forked per concern inside). */
  readonly random: SeededRandom;
  readonly clock: SimulatedClock;
  /** The simulated providers by `gen_ai.provider.name`. */
  readonly providers: Readonly<Record<string, SimulatedProvider>>;
  readonly tools: SimulatedTools;
  /** Per-provider breakers, shared by every agent (and every round) of the process. */
  readonly breakers: Readonly<Record<string, CircuitBreaker>>;
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly narrator: Narrator;
  /** Cancels the round: in-flight calls are aborted and the agents end cancelled. */
  readonly signal?: AbortSignal;
}

/** One model call of the workflow, as the demo reports it. */
export interface TurnReport {
  readonly agent: string;
  readonly turn: number;
  /** Where it was finally served. */
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly attempts: readonly AttemptRecord[];
}

/** One tool call of the workflow and how it ended. */
export interface ToolReport {
  readonly agent: string;
  readonly tool: string;
  readonly outcome: 'ok' | 'denied' | 'blocked';
  readonly detail: string;
}

/** What one round did. */
export interface RoundReport {
  readonly round: number;
  /** The trace id of the round's `invoke_workflow` span. */
  readonly traceId: string;
  readonly turns: readonly TurnReport[];
  readonly tools: readonly ToolReport[];
  readonly handoffs: readonly string[];
  /** Every agent event of the round, in order. */
  readonly events: readonly AgentEvent[];
}

const RESEARCH_TOPICS = [
  'How circuit breakers keep LLM agents up',
  'Retry budgets for LLM calls',
  'Failing over between model providers',
  'Tracing multi-agent systems with OpenTelemetry',
] as const;

/** The topic of a round: drawn from the seed. */
export function topicFor(random: SeededRandom): string {
  return random.pick(RESEARCH_TOPICS);
}

// A system prompt long enough for the providers' prompt caching (OpenAI caches prompts of 1,024 tokens or more).
function systemPrompt(role: string, tools: readonly string[]): string {
  const schema = tools
    .map((t) => `{"type":"function","function":{"name":"${t}","parameters":{"type":"object"}}}`)
    .join(',');
  const rules = 'Cite every claim. Prefer primary sources. Keep answers short and concrete. ';
  return `You are the ${role} of a small research team. Tools: [${schema}]. ${rules.repeat(60)}`;
}

const PERMISSIONS = new PermissionPolicy({
  roles: {
    researcher: {
      role: 'researcher',
      mode: PermissionMode.READ_ONLY,
      allowedTools: ['web_search', 'fetch_page', 'write_file'],
    },
    writer: { role: 'writer', mode: PermissionMode.WORKSPACE_WRITE },
    editor: { role: 'editor', mode: PermissionMode.WORKSPACE_WRITE },
  },
  toolRequirements: {
    web_search: PermissionMode.READ_ONLY,
    fetch_page: PermissionMode.READ_ONLY,
    check_links: PermissionMode.READ_ONLY,
    write_file: PermissionMode.WORKSPACE_WRITE,
    save_draft: PermissionMode.WORKSPACE_WRITE,
  },
});

/** Collects a round's agent events (and hands budget warnings to the narrator as they happen). */
class RoundEvents implements EventSink {
  readonly events: AgentEvent[] = [];
  readonly #onEvent: (event: AgentEvent) => void;

  constructor(onEvent: (event: AgentEvent) => void) {
    this.#onEvent = onEvent;
  }

  emit(event: AgentEvent): void {
    this.events.push(event);
    this.#onEvent(event);
  }
}

/**
 * Runs one round of the research workflow: a researcher gathers sources with tools and hands off to a writer, who
 * drafts and hands off to an editor. Every model call goes through agentrace with a recovery policy over two
 * simulated providers and their breakers; the faults that make the run worth watching are queued on the simulated
 * providers right before the calls they hit, so the script below reads as the story it tells.
 */
export async function runResearchWorkflow(ctx: WorkflowContext): Promise<RoundReport> {
  const { narrator, providers } = ctx;
  // Worker ids (`researcher-report-1a2b3c4d`) come from the seed too.
  const registry = new AgentRegistry({ random: ctx.random.fork('worker-ids').next });
  /** Stops the round between steps once it is cancelled (a step in flight is aborted through its signal). */
  const checkpoint = () => ctx.signal?.throwIfAborted();
  const turns: TurnReport[] = [];
  const tools: ToolReport[] = [];
  const handoffs: string[] = [];
  const sink = new RoundEvents((event) => {
    if (event.event === 'agent.budget.exceeded') {
      const data = event.data as { budget_usd: number; current_cost_usd: number };
      narrator.detail(
        narrator.style.yellow(
          `$ budget warning: ${event.role} has spent ${usd(data.current_cost_usd)} of its ${usd(data.budget_usd)} budget (not enforced: it carries on)`,
        ),
      );
    }
  });
  const recoveryJitter = ctx.random.fork('recovery-jitter');
  const recovery = (targets: typeof LARGE | typeof SMALL): RecoveryPolicy => ({
    providers: targets,
    backoff: { baseMs: 40, capMs: 200, jitter: 'full' },
    retryAfterCapMs: 1000,
    totalTimeoutMs: 5000,
    random: recoveryJitter.next,
  });
  const agent = (
    role: string,
    description: string,
    targets: typeof LARGE | typeof SMALL,
    extra: Partial<AgentSessionOptions> = {},
  ) =>
    new AgentSession({
      role,
      phase: 'report',
      description,
      provider: targets[0].provider,
      model: targets[0].model,
      registry,
      permissions: new PermissionEnforcer(PERMISSIONS),
      guardrails: [noSecretsGuardrail],
      circuitBreaker: ctx.breakers,
      recovery: recovery(targets),
      eventSink: sink,
      tracerProvider: ctx.tracerProvider,
      meterProvider: ctx.meterProvider,
      ...(ctx.signal && { signal: ctx.signal }),
      ...extra,
    });

  /** One model call: the simulated provider the recovery policy picked, usage read from its response shape. */
  const callModel = async (
    session: Session,
    label: string,
    request: { system: string; prompt: string; outputTokens: [number, number] },
  ): Promise<string> => {
    checkpoint();
    const number = turns.filter((t) => t.agent === session.role).length + 1;
    // The header first: breaker transitions and budget warnings during the call print under it.
    narrator.step(session.role, `turn ${number} ${narrator.style.bold(label)}`);
    const turn = await session.runTurn(
      (signal, { provider, model }) => {
        const target = providers[provider ?? ''];
        if (!target || !model) throw new Error(`no simulated provider for ${provider}/${model}`);
        return target.chat({ model, ...request, signal });
      },
      { usage: 'auto', timeoutMs: ATTEMPT_TIMEOUT_MS },
    );
    if (!turn.ok) throw new Error('unreachable: the demo never escalates with log_and_continue');
    const last = turn.attempts.at(-1);
    const report: TurnReport = {
      agent: session.role,
      turn: number,
      provider: last?.provider,
      model: last?.model,
      inputTokens: turn.usage.inputTokens + turn.usage.cacheReadTokens + turn.usage.cacheWriteTokens,
      outputTokens: turn.usage.outputTokens,
      costUsd: turn.costUsd,
      attempts: turn.attempts,
    };
    turns.push(report);
    const cache = turn.usage.cacheReadTokens > 0 ? ` (cache read ${count(turn.usage.cacheReadTokens)})` : '';
    const recovered =
      turn.attempts.length > 1
        ? narrator.style.yellow(`  ↻ recovered after ${turn.attempts.length} attempts`)
        : '';
    const figures = `${count(report.inputTokens)} in${cache} · ${count(report.outputTokens)} out tok  ${usd(report.costUsd)}${recovered}`;
    turn.attempts.forEach((a, i) => {
      narrator.attempt(a, i === turn.attempts.length - 1, figures);
    });
    return responseText(turn.result as SimulatedResponse);
  };

  /** A tool call whose refusal (permission, guardrail) is reported and survived, as an agent loop would. */
  const useTool = async <T>(
    session: Session,
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
    describe: (result: T) => string,
  ): Promise<T | undefined> => {
    checkpoint();
    try {
      const result = await session.runTool(name, fn, { type: 'function' });
      tools.push({ agent: session.role, tool: name, outcome: 'ok', detail: describe(result) });
      narrator.step(session.role, `tool ${name}  ${narrator.style.green('✓')}  ${describe(result)}`);
      return result;
    } catch (err) {
      const outcome = PermissionDeniedError.isInstance(err)
        ? 'denied'
        : GuardrailViolatedError.isInstance(err)
          ? 'blocked'
          : undefined;
      if (!outcome) throw err;
      const detail = (err as Error).message;
      tools.push({ agent: session.role, tool: name, outcome, detail });
      narrator.step(session.role, `tool ${name}  ${narrator.style.red(`✗ ${outcome}`)}  ${detail}`);
      return undefined;
    }
  };

  const tracer = ctx.tracerProvider.getTracer('agentrace-demo');
  const workflow = tracer.startSpan(
    `${semconv.GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW} ${WORKFLOW_NAME}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: semconv.GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
        [semconv.ATTR_GEN_AI_WORKFLOW_NAME]: WORKFLOW_NAME,
        'agentrace.demo.round': ctx.round,
      },
    },
  );
  const traceId = workflow.spanContext().traceId;
  narrator.line(narrator.style.bold(`▶ round ${ctx.round}: ${WORKFLOW_NAME} on "${ctx.topic}"`));

  try {
    await context.with(trace.setSpan(context.active(), workflow), async () => {
      // --- researcher: plan, search, read, summarise; then hand off -------------------------------------------
      const researchSystem = systemPrompt('researcher', ['web_search', 'fetch_page', 'write_file']);
      const researcher = agent('researcher', 'Finds and reads sources on the topic', LARGE);
      const toWriter: Handoff = await researcher.run(async (session) => {
        const plan = await callModel(session, 'plan', {
          system: researchSystem,
          prompt: `Plan the research on: ${ctx.topic}`,
          outputTokens: [150, 260],
        });
        const sources =
          (await useTool(
            session,
            'web_search',
            (signal) => ctx.tools.webSearch(ctx.topic, signal),
            (found) => `${found.length} sources`,
          )) ?? [];
        const [first, second] = sources as [Source, Source];
        const page = await useTool(
          session,
          'fetch_page',
          (signal) => ctx.tools.fetchPage(first, signal),
          (p) => `${p.url} (${count(estimateTokens(p.text))} tok)`,
        );
        // This page leaks a credential: the no_secrets guardrail refuses the result before the model sees it.
        await useTool(
          session,
          'fetch_page',
          (signal) => ctx.tools.fetchPage(second, signal, true),
          (p) => p.url,
        );
        // The researcher is read-only: saving notes is refused by the permission policy.
        await useTool(
          session,
          'write_file',
          (signal) => ctx.tools.writeFile('notes.md', plan, signal),
          (w) => `${w.bytes} bytes`,
        );
        // The recovery chain: OpenAI is rate-limited (429, retry in 250 ms) → wait, switch to Anthropic → the
        // call stalls past the attempt timeout → back off → the retry succeeds.
        providers[SIMULATED_OPENAI]?.failNext({ kind: 'rate_limit', retryAfterMs: RETRY_AFTER_MS });
        providers[SIMULATED_ANTHROPIC]?.failNext({ kind: 'stall' });
        const findings = await callModel(session, 'summarise', {
          system: researchSystem,
          prompt: `Summarise for a writer:\n${page?.text ?? ''}`.slice(0, 6000),
          outputTokens: [600, 900],
        });
        checkpoint();
        narrator.step(session.role, narrator.style.magenta('→ hands off to writer: findings ready'));
        handoffs.push('researcher → writer');
        return session.handoffTo('writer', 'findings ready', {
          sources: sources.length,
          findings: findings.length,
        });
      });

      // --- writer: draft and revise, over budget; then hand off -------------------------------------------------
      const writerSystem = systemPrompt('writer', ['save_draft']);
      const writer = agent('writer', 'Drafts the report from the findings', LARGE, {
        budgetUsd: WRITER_BUDGET_USD,
      });
      const toEditor: Handoff = await writer.run(
        async (session) => {
          // OpenAI answers 503: its second failure in a row opens its circuit; the call fails over to Anthropic.
          providers[SIMULATED_OPENAI]?.failNext({ kind: 'unavailable' });
          const draft = await callModel(session, 'draft', {
            system: writerSystem,
            prompt: `Write a 600-word report on "${ctx.topic}" from these findings: ${'…'.repeat(2400)}`,
            outputTokens: [700, 1000],
          });
          await useTool(
            session,
            'save_draft',
            (signal) => ctx.tools.writeFile('report.md', draft, signal),
            (w) => `report.md, ${w.bytes} bytes`,
          );
          // The OpenAI circuit is still open: the turn starts on Anthropic without calling OpenAI at all.
          await callModel(session, 'revise', {
            system: writerSystem,
            prompt: `Tighten the draft, keep every citation: ${'…'.repeat(2400)}`,
            outputTokens: [700, 1000],
          });
          checkpoint();
          narrator.step(session.role, narrator.style.magenta('→ hands off to editor: draft ready'));
          handoffs.push('writer → editor');
          return session.handoffTo('editor', 'draft ready', { words: 600 });
        },
        { handoff: toWriter },
      );

      // --- editor: check links (slow), review (the OpenAI circuit half-opens: a probe closes it), gate ------------
      const editorSystem = systemPrompt('editor', ['check_links']);
      const editor = agent('editor', 'Reviews and approves the report', SMALL, {
        qualityGate: new QualityGate(QualityLevel.STANDARD),
      });
      await editor.run(
        async (session) => {
          await useTool(
            session,
            'check_links',
            (signal) => ctx.tools.checkLinks(['https://sre.google', 'https://opentelemetry.io'], signal),
            (r) => `${r.checked} links, ${r.broken} broken`,
          );
          await callModel(session, 'review', {
            system: editorSystem,
            prompt: `Review the report on "${ctx.topic}" for accuracy and tone.`,
            outputTokens: [200, 400],
          });
          const gate = session.evaluateGate(QualityLevel.STRICT);
          narrator.step(
            session.role,
            `quality gate ${gate?.satisfied ? narrator.style.green('✓ passed') : narrator.style.red('✗ failed')} (required STANDARD, observed STRICT)`,
          );
        },
        { handoff: toEditor },
      );
    });
    workflow.setStatus({ code: SpanStatusCode.OK });
  } catch (err) {
    // Cancelled between or during steps: say why (the abort reason), not what the cancelled session refused next.
    if (ctx.signal?.aborted) {
      workflow.setAttribute(semconv.ATTR_AGENTRACE_CANCELLED, true);
      throw ctx.signal.reason;
    }
    workflow.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
    throw err;
  } finally {
    workflow.end();
  }
  return { round: ctx.round, traceId, turns, tools, handoffs, events: sink.events };
}
