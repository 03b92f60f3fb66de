import { type Context, trace } from '@opentelemetry/api';

/**
 * One span, one cost and one set of token metrics per call when the official
 * `@opentelemetry/instrumentation-openai` is installed beside agentrace.
 *
 * Both patch the same `Completions.prototype.create` (and `Embeddings`, `Responses`). `InstrumentationBase`'s
 * `_wrap` first unwraps whatever wrapper is there, so left alone the instrumentation enabled last silently
 * removes the other one. agentrace instead wraps *over* the official wrapper, keeps it, and calls past it:
 *
 * - a call agentrace records (or leaves to an enclosing agentrace turn) goes to the method beneath the
 *   official wrapper, so the official span, log events and `gen_ai.client.token.usage` / duration metrics are
 *   skipped together; with agentrace disabled the official wrapper is called as before, and disabling the
 *   official instrumentation (it unwraps the top of the chain, agentrace's wrapper) only drops the official
 *   wrapper from beneath agentrace's.
 * - agentrace enabled first (the common `--import` then `NodeSDK` order): the official `_wrap` removes
 *   agentrace's wrapper in the same synchronous require/import dispatch; a microtask after agentrace's patch
 *   wraps over the official one. A call made before that microtask (in the very tick that loaded the module)
 *   is the official span alone: one span, without cost.
 * - when a recording official span is nonetheless the active span (another layout of wrappers), agentrace
 *   stays silent for that call rather than add a second span.
 *
 * Why not `suppressTracing` around the inner call: a suppressed context also hides the HTTP/undici spans under
 * the call, which users want, and the official instrumentation records its token metrics whether its span
 * records or not, so tokens would still be counted twice.
 *
 * The official wrapper is recognised by shimmer's marks (`__wrapped`, `__original`) and the name its wrappers
 * carry (`patchedCreate`, 0.x releases), its span by the SDK span's instrumentation scope. Other
 * instrumentations' wrappers (OpenLLMetry, …) are not recognised and are called as they are. @internal
 */
export const OFFICIAL_OPENAI_SCOPE = '@opentelemetry/instrumentation-openai';

const OFFICIAL_WRAPPER_NAME = 'patchedCreate';

/** Marks a wrapper of agentrace's own, so patching twice is harmless and hoisting finds it. */
const AGENTRACE_WRAPPER = Symbol.for('agentrace.instrumentation.openai.wrapper');

interface ShimmerWrapped {
  __wrapped?: unknown;
  __original?: unknown;
  [AGENTRACE_WRAPPER]?: unknown;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Whether `fn` is a wrapper the official OpenAI instrumentation installed. @internal */
export function isOfficialWrapper(fn: unknown): fn is Method & { __original: Method } {
  if (typeof fn !== 'function') return false;
  const w = fn as ShimmerWrapped;
  return w.__wrapped === true && typeof w.__original === 'function' && fn.name === OFFICIAL_WRAPPER_NAME;
}

/** The method beneath every official wrapper on top of `fn` (`fn` itself when there is none). @internal */
export function beneathOfficial<T>(fn: T): T {
  let current: unknown = fn;
  for (let i = 0; i < 8 && isOfficialWrapper(current); i++) current = current.__original;
  return current as T;
}

/** Marks `fn` as agentrace's wrapper. @internal */
export function markAgentraceWrapper(fn: object): void {
  Object.defineProperty(fn, AGENTRACE_WRAPPER, { value: true });
}

/** Whether `fn` is a wrapper agentrace installed. @internal */
export function isAgentraceWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as ShimmerWrapped)[AGENTRACE_WRAPPER] === true;
}

/** Whether an agentrace wrapper is anywhere in the shimmer chain from `fn` down. @internal */
export function chainHasAgentrace(fn: unknown): boolean {
  let current = fn;
  for (let i = 0; i < 8 && typeof current === 'function'; i++) {
    if (isAgentraceWrapper(current)) return true;
    current = (current as ShimmerWrapped).__original;
  }
  return false;
}

function define(obj: object, name: string, value: unknown): void {
  const enumerable = Object.prototype.propertyIsEnumerable.call(obj, name);
  Object.defineProperty(obj, name, { configurable: true, enumerable, writable: true, value });
}

/**
 * Wraps `method` of `proto` as shimmer does (`__original`, `__wrapped`, `__unwrap`), but over whatever is
 * there: an official wrapper beneath is kept. Its `__unwrap`, which the official instrumentation calls on
 * the top of the chain when it is disabled, drops the official wrapper from beneath agentrace's; with none
 * there it restores the method beneath. @internal
 */
export function wrapOver(
  proto: Record<string, unknown>,
  method: string,
  wrap: (original: Method) => Method,
): void {
  const original = proto[method] as Method;
  const wrapped = wrap(original);
  define(wrapped, '__original', original);
  define(wrapped, '__wrapped', true);
  define(wrapped, '__unwrap', () => {
    if (proto[method] !== wrapped) return;
    const beneath = (wrapped as ShimmerWrapped).__original;
    if (isOfficialWrapper(beneath)) define(wrapped, '__original', beneathOfficial(beneath));
    else define(proto, method, beneath);
  });
  define(proto, method, wrapped);
}

/** Removes agentrace's wrapper from the top of `method` (it is disabled), keeping what is beneath. @internal */
export function unwrapOwn(proto: Record<string, unknown>, method: string): void {
  const top = proto[method];
  if (isAgentraceWrapper(top)) define(proto, method, (top as ShimmerWrapped).__original);
}

interface ScopedSpan {
  instrumentationScope?: { name?: unknown };
  /** SDK 1.x's name for the scope. */
  instrumentationLibrary?: { name?: unknown };
  isRecording?: () => boolean;
}

/** Whether the active span is a recording span of the official OpenAI instrumentation. @internal */
export function officialSpanActive(ctx: Context): boolean {
  const span = trace.getSpan(ctx) as ScopedSpan | undefined;
  const scope = span?.instrumentationScope ?? span?.instrumentationLibrary;
  return scope?.name === OFFICIAL_OPENAI_SCOPE && span?.isRecording?.() === true;
}
