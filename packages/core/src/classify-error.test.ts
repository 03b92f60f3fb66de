import { describe, expect, it } from 'vitest';
import { loadVector } from '../../../test/helpers/vectors.js';
import {
  classifyError,
  classifyMessage,
  classifyStructured,
  errorChain,
  httpStatusOf,
  MAX_CAUSE_DEPTH,
} from './classify-error.js';
import { assertScenario, FailureScenario, failureClassFor } from './failure-scenario.js';

interface ByMessage {
  message: string;
  scenario: string;
}
interface ByKind {
  kind: string;
  scenario: string;
}

const vector = loadVector('classification') as { by_message: ByMessage[]; by_kind: ByKind[] };

function jsonParseError(): unknown {
  try {
    JSON.parse('{"memory": ');
  } catch (err) {
    return err;
  }
  throw new Error('JSON.parse accepted bad input');
}

/** The error a reference "kind" stands for, as a JS runtime throws it. */
const KIND_ERRORS: Record<string, () => unknown> = {
  timeout: () => new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
  json_parse: jsonParseError,
  connection: () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED', errno: -111 }),
};

const withProps = (message: string, props: Record<string, unknown>) =>
  Object.assign(new Error(message), props);

describe('classifyError: reference vectors', () => {
  it.each(vector.by_message)('message $message → $scenario', ({ message, scenario }) => {
    expect(classifyError(new Error(message))).toBe(scenario);
    // A thrown string is its own message.
    expect(classifyError(message)).toBe(scenario);
    expect(classifyMessage(message)).toBe(scenario);
  });

  it('covers every by_kind case', () => {
    expect(vector.by_kind.map((c) => c.kind).sort()).toEqual(Object.keys(KIND_ERRORS).sort());
  });

  it.each(vector.by_kind)('kind $kind → $scenario', ({ kind, scenario }) => {
    const make = KIND_ERRORS[kind];
    expect(make).toBeDefined();
    const err = make!();
    expect(classifyError(err)).toBe(scenario);
    expect(classifyStructured(err)).toBe(scenario);
  });

  it('leaves a message-only error to the message rules', () => {
    for (const { message } of vector.by_message) {
      expect(classifyStructured(new Error(message))).toBeUndefined();
    }
  });
});

describe('classifyError: structured facts win over the message', () => {
  it.each([
    [{ status: 429 }, 'timeout while waiting', 'rate_limit'],
    [{ statusCode: 429 }, 'tool failed', 'rate_limit'],
    [{ response: { status: 429 } }, 'corrupt', 'rate_limit'],
    [{ status: 408 }, 'rate limit', 'llm_timeout'],
    [{ status: 504 }, 'bad gateway', 'llm_timeout'],
    [{ status: 500 }, 'Error 500 internal', 'provider_failure'],
    [{ status: 502 }, 'timeout', 'provider_failure'],
    [{ status: 503 }, 'timeout', 'provider_failure'],
    [{ status: 529 }, 'overloaded', 'provider_failure'],
    [{ status: 501 }, 'x', 'provider_failure'],
    [{ status: 401 }, 'timeout', 'provider_failure'],
    [{ status: 403 }, 'forbidden', 'provider_failure'],
    [{ status: 413 }, 'payload too large', 'context_overflow'],
    [{ $metadata: { httpStatusCode: 429 } }, 'ThrottlingException', 'rate_limit'],
    [{ error: { code: 429, status: 'SOMETHING' } }, 'x', 'rate_limit'],
    [{ code: '503' }, 'x', 'provider_failure'],
  ])('%o with message %j → %s', (props, message, scenario) => {
    expect(classifyError(withProps(message, props))).toBe(scenario);
  });

  it.each([
    ['ECONNREFUSED', 'provider_failure'],
    ['ECONNRESET', 'provider_failure'],
    ['ENOTFOUND', 'provider_failure'],
    ['EAI_AGAIN', 'provider_failure'],
    ['EPIPE', 'provider_failure'],
    ['UND_ERR_SOCKET', 'provider_failure'],
    ['ETIMEDOUT', 'llm_timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'llm_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'llm_timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'llm_timeout'],
  ])('Node/undici code %s → %s, on the error and as the cause of fetch failed', (code, scenario) => {
    expect(classifyError(withProps('tool failed', { code }))).toBe(scenario);
    const fetchFailed = new TypeError('fetch failed', { cause: withProps('other side closed', { code }) });
    expect(classifyError(fetchFailed)).toBe(scenario);
    expect(classifyError(new TypeError('fetch failed', { cause: { code } }))).toBe(scenario);
  });

  it.each([
    [{ type: 'rate_limit_error' }, 'rate_limit'],
    [{ error: { type: 'rate_limit_error' } }, 'rate_limit'],
    [{ error: { type: 'error', error: { type: 'rate_limit_error' } } }, 'rate_limit'],
    [{ code: 'rate_limit_exceeded' }, 'rate_limit'],
    [{ error: { code: 'rate_limit_exceeded' } }, 'rate_limit'],
    [{ error: { status: 'RESOURCE_EXHAUSTED' } }, 'rate_limit'],
    [{ code: 'RESOURCE_EXHAUSTED' }, 'rate_limit'],
    [{ error: { type: 'overloaded_error' } }, 'provider_failure'],
    [{ code: 'context_length_exceeded' }, 'context_overflow'],
    [{ error: { code: 'context_length_exceeded' } }, 'context_overflow'],
  ])('provider type/code %o → %s', (props, scenario) => {
    expect(classifyError(withProps('timeout', props))).toBe(scenario);
  });

  it('a spent quota is not a rate limit, even when it comes as a 429', () => {
    const err = withProps('429 You exceeded your current quota', {
      status: 429,
      code: 'insufficient_quota',
      error: { code: 'insufficient_quota', type: 'insufficient_quota' },
    });
    expect(classifyError(err)).toBe('provider_failure');
    expect(classifyError(withProps('x', { error: { type: 'insufficient_quota' } }))).toBe('provider_failure');
  });

  it('a context overflow sent as a 400 is decided by its code', () => {
    const err = withProps('400 Bad request', { status: 400, error: { code: 'context_length_exceeded' } });
    expect(classifyError(err)).toBe('context_overflow');
  });

  it('statuses that say nothing leave the decision to the message', () => {
    expect(classifyStructured(withProps('x', { status: 400 }))).toBeUndefined();
    expect(classifyError(withProps('token limit exceeded', { status: 400 }))).toBe('context_overflow');
    expect(classifyError(withProps('not found', { status: 404 }))).toBe('llm_error');
    expect(classifyError(withProps('moved', { status: 301 }))).toBe('llm_error');
  });

  it('a TimeoutError or AbortError by name is a timeout', () => {
    expect(classifyError(new DOMException('aborted', 'AbortError'))).toBe('llm_timeout');
    expect(classifyError(withProps('rate limit', { name: 'TimeoutError' }))).toBe('llm_timeout');
  });

  it('a SyntaxError is memory corruption whatever its message', () => {
    expect(classifyError(new SyntaxError('429 tool error'))).toBe('memory_corruption');
  });

  it('non-error values do not throw', () => {
    expect(classifyError(undefined)).toBe('llm_error');
    expect(classifyError(null)).toBe('llm_error');
    expect(classifyError(42)).toBe('llm_error');
    expect(classifyError(504)).toBe('llm_error');
    expect(classifyError({})).toBe('llm_error');
    expect(classifyError({ message: 'Request timed out' })).toBe('llm_timeout');
    expect(classifyError({ message: 42 })).toBe('llm_error');
  });

  it('a throwing getter or Proxy does not escape', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(classifyError(hostile)).toBe('llm_error');
    const err = new Error('upstream broke');
    Object.defineProperty(err, 'status', {
      get() {
        throw new Error('boom');
      },
    });
    expect(classifyError(err)).toBe('dependency_timeout');
  });
});

describe('classifyError: cause chains', () => {
  it('the outermost deciding fact wins', () => {
    const inner = withProps('socket', { code: 'ETIMEDOUT' });
    const outer = withProps('wrapped', { status: 429, cause: inner });
    expect(classifyError(outer)).toBe('rate_limit');
    expect(classifyError(new Error('wrapped', { cause: inner }))).toBe('llm_timeout');
  });

  it('a structured cause beats the outer message', () => {
    const err = new Error('tool failed', { cause: { response: { status: 503 } } });
    expect(classifyError(err)).toBe('provider_failure');
  });

  it('falls back to the messages of the causes when the outer one matches no rule', () => {
    expect(classifyError(new Error('turn failed', { cause: new Error('Request timed out') }))).toBe(
      'llm_timeout',
    );
    expect(classifyError(new Error('turn failed', { cause: 'upstream down' }))).toBe('llm_error');
    // The outer message wins when it matches.
    expect(classifyError(new Error('corrupt', { cause: new Error('timed out') }))).toBe('memory_corruption');
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyError(a)).toBe('llm_error');
    expect(errorChain(a)).toEqual([a, b]);
    a.cause = withProps('c', { cause: b, code: 'ECONNRESET' });
    expect(classifyError(b)).toBe('provider_failure');
    const self: Error & { cause?: unknown } = new Error('self');
    self.cause = self;
    expect(classifyError(self)).toBe('llm_error');
  });

  it('stops after MAX_CAUSE_DEPTH errors', () => {
    let err: Error = withProps('deep', { code: 'ECONNRESET' });
    for (let i = 1; i < MAX_CAUSE_DEPTH; i++) err = new Error(`level ${i}`, { cause: err });
    expect(classifyError(err)).toBe('provider_failure');
    expect(classifyError(new Error('one more', { cause: err }))).toBe('llm_error');
    expect(errorChain(new Error('one more', { cause: err }))).toHaveLength(MAX_CAUSE_DEPTH);
  });
});

describe('httpStatusOf', () => {
  it.each([
    [{ status: 429 }, 429],
    [{ statusCode: 503 }, 503],
    [{ response: { status: 502 } }, 502],
    [{ response: { statusCode: 404 } }, 404],
    [{ $metadata: { httpStatusCode: 429 } }, 429],
    [{ code: 500 }, 500],
    [{ code: '429' }, 429],
    [{ error: { status: 413 } }, 413],
    [{ error: { code: 429 } }, 429],
  ])('%o → %i', (props, status) => {
    expect(httpStatusOf(withProps('x', props))).toBe(status);
  });

  it('finds a status along the cause chain', () => {
    expect(httpStatusOf(new Error('x', { cause: new Error('y', { cause: { status: 504 } }) }))).toBe(504);
  });

  it('ignores what is not an HTTP status', () => {
    expect(httpStatusOf(withProps('x', { code: 'ECONNRESET' }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { code: 8 }))).toBeUndefined(); // gRPC RESOURCE_EXHAUSTED
    expect(httpStatusOf(withProps('x', { status: 429.5 }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { status: 600 }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { status: '4290' }))).toBeUndefined();
    expect(httpStatusOf(withProps('x', { error: { status: 'RESOURCE_EXHAUSTED' } }))).toBeUndefined();
    expect(httpStatusOf('HTTP 429')).toBeUndefined();
    expect(httpStatusOf(undefined)).toBeUndefined();
  });

  it('FailureScenario holds the reference seven plus rate_limit', () => {
    expect(Object.values(FailureScenario).sort()).toEqual(
      [
        'context_overflow',
        'dependency_timeout',
        'llm_error',
        'llm_timeout',
        'memory_corruption',
        'provider_failure',
        'rate_limit',
        'tool_execution_error',
      ].sort(),
    );
  });
});

describe('failureClassFor', () => {
  it.each([
    ['llm_timeout', 'llm_timeout'],
    ['llm_error', 'llm_error'],
    ['tool_execution_error', 'tool_error'],
    ['context_overflow', 'context_overflow'],
    ['dependency_timeout', 'dependency_failed'],
    ['memory_corruption', 'memory_corruption'],
    ['provider_failure', 'dependency_failed'],
    ['rate_limit', 'rate_limit'],
  ] as const)('%s → %s', (scenario, failureClass) => {
    expect(failureClassFor(scenario)).toBe(failureClass);
  });

  it('rejects an unknown scenario, naming the field', () => {
    expect(() => failureClassFor('meltdown' as FailureScenario)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'scenario', value: 'meltdown' }),
    );
    expect(() => assertScenario(7, 'recipe.scenario')).toThrow(/recipe\.scenario must be one of llm_timeout/);
  });
});
