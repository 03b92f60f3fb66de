import { describe, expect, it } from 'vitest';
import { outcomeOfError, outcomeOfResult } from './mcp-outcome.js';

describe('MCP outcomes', () => {
  it('is a tool_error only for a tools/call result that says isError: true', () => {
    expect(outcomeOfResult({ isError: true, content: [] }, true)).toEqual({ errorType: 'tool_error' });
    expect(outcomeOfResult({ isError: 'yes' }, true)).toEqual({});
    expect(outcomeOfResult({ isError: true }, false)).toEqual({});
    expect(outcomeOfResult(undefined, true)).toEqual({});
  });

  it('uses the JSON-RPC code of anything that carries an integer code', () => {
    const err = Object.assign(new Error('MCP error -32001: Request timed out'), { code: -32001 });
    expect(outcomeOfError(err, 'sender')).toEqual({
      errorType: '-32001',
      rpcCode: '-32001',
      message: 'MCP error -32001: Request timed out',
    });
    expect(outcomeOfError({ code: -32602, message: 'bad' }, 'handler')).toMatchObject({
      errorType: '-32602',
    });
    expect(outcomeOfError({ code: 1.5 }, 'sender').rpcCode).toBeUndefined();
  });

  it('answers -32603 on the handling side for errors without a code, as the SDK does', () => {
    expect(outcomeOfError(new TypeError('x'), 'handler')).toMatchObject({
      errorType: '-32603',
      rpcCode: '-32603',
    });
  });

  it('uses the thrown type on the sending side, and never throws on odd values', () => {
    expect(outcomeOfError(new TypeError('fetch failed'), 'sender')).toMatchObject({ errorType: 'TypeError' });
    expect(outcomeOfError({ name: 'AbortError' }, 'sender').errorType).toBe('AbortError');
    expect(outcomeOfError('just a string', 'sender')).toEqual({
      errorType: '_OTHER',
      message: 'just a string',
    });
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(outcomeOfError(hostile, 'sender')).toEqual({ errorType: '_OTHER', message: 'error' });
  });

  it('masks secrets in the recorded message', () => {
    expect(outcomeOfError(new Error('401 for sk-proj-abcdefghijklmnop1234'), 'sender').message).toBe(
      '401 for [REDACTED]',
    );
  });
});
