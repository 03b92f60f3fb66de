import { INSTRUMENTATION_SCOPE, semconv as sc, UNSPECIFIED_MODEL } from '@agentrace/core';
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/** Model calls, tokens and cost of one agent on one model. */
export interface CostRow {
  /** `gen_ai.agent.name`, or `-` for calls made outside an agent session. */
  readonly agent: string;
  /** `gen_ai.request.model` (else the response model, else `unspecified`). */
  readonly model: string;
  /**
   * Model calls that recorded usage on this model (a turn recovered on another provider counts where it was served).
   */
  readonly turns: number;
  /** Model calls requested on this model that failed (`error.type` on the operation duration). */
  readonly errors: number;
  /** Input tokens as the GenAI conventions count them (cache reads and writes included). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** Cost per agent and model, and the totals. */
export interface CostSummary {
  /** Sorted by agent, then model. */
  readonly rows: readonly CostRow[];
  readonly total: Omit<CostRow, 'agent' | 'model'>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Sums agentrace's own metrics (scope `@agentrace/core`, and `@agentrace/instrumentation/…` for the zero-code
 * client instrumentations, which record through the same instruments) per agent and model: turns and tokens from
 * `gen_ai.client.token.usage`, failures from `gen_ai.client.operation.duration` (`error.type`), dollars from
 * `agentrace.cost`.
 * Metrics rather than spans, so the figures hold whatever the trace sampler dropped.
 */
// Another library's `gen_ai.client.token.usage` (the official openai instrumentation's) is left out: its calls
// carry no agentrace cost, and agentrace records the same calls itself.
function isAgentraceScope(name: string): boolean {
  return name === INSTRUMENTATION_SCOPE || name.startsWith('@agentrace/');
}

export function costSummary(metrics: ResourceMetrics): CostSummary {
  const rows = new Map<string, Mutable<CostRow>>();
  const row = (attrs: Attributes): Mutable<CostRow> => {
    const agent = text(attrs[sc.ATTR_GEN_AI_AGENT_NAME]) ?? '-';
    const model =
      text(attrs[sc.ATTR_GEN_AI_REQUEST_MODEL]) ??
      text(attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL]) ??
      UNSPECIFIED_MODEL;
    const key = JSON.stringify([agent, model]);
    let r = rows.get(key);
    if (!r) {
      r = { agent, model, turns: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      rows.set(key, r);
    }
    return r;
  };
  for (const scope of metrics.scopeMetrics) {
    if (!isAgentraceScope(scope.scope.name)) continue;
    for (const metric of scope.metrics) {
      const name = metric.descriptor.name;
      if (name === sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION) {
        for (const p of metric.dataPoints as DataPoint<Histogram>[]) {
          if (p.attributes[ATTR_ERROR_TYPE] !== undefined) row(p.attributes).errors += p.value.count;
        }
      } else if (name === sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE) {
        for (const p of metric.dataPoints as DataPoint<Histogram>[]) {
          const type = p.attributes[sc.ATTR_GEN_AI_TOKEN_TYPE];
          const r = row(p.attributes);
          if (type === sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT) {
            // One input record per call that reported usage: the call count, per model it was billed to.
            r.turns += p.value.count;
            r.inputTokens += p.value.sum ?? 0;
          } else if (type === sc.GEN_AI_TOKEN_TYPE_VALUE_OUTPUT) r.outputTokens += p.value.sum ?? 0;
        }
      } else if (name === sc.METRIC_AGENTRACE_COST) {
        for (const p of metric.dataPoints as DataPoint<number>[]) row(p.attributes).costUsd += p.value;
      }
    }
  }
  const sorted = [...rows.values()].sort(
    (a, b) => a.agent.localeCompare(b.agent) || a.model.localeCompare(b.model),
  );
  const total = { turns: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const r of sorted) {
    total.turns += r.turns;
    total.errors += r.errors;
    total.inputTokens += r.inputTokens;
    total.outputTokens += r.outputTokens;
    total.costUsd += r.costUsd;
  }
  return { rows: sorted, total };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
