/**
 * Masking and length limits for every string agentrace records in telemetry (error messages, stack traces,
 * details). Provider errors often echo the request, and a request carries the API key.
 */

/** What a masked secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Default cap on a recorded string's length, in UTF-16 code units. */
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 1024;

// Shapes of credentials seen in provider errors and HTTP dumps. Order matters: specific shapes first.
const SECRET_PATTERNS: readonly RegExp[] = [
  // Authorization headers and bearer/basic tokens
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-), and other sk- style keys
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  // Google API keys
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  // AWS access key ids
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // GitHub, Slack, Hugging Face, Groq, xAI, Perplexity tokens
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bhf_[A-Za-z0-9]{30,}/g,
  /\bgsk_[A-Za-z0-9]{30,}/g,
  /\bxai-[A-Za-z0-9]{30,}/g,
  /\bpplx-[A-Za-z0-9]{30,}/g,
  // JSON Web Tokens
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
];

// key=value / "key": "value" pairs whose key says it is a credential; the key is kept, the value masked.
const SECRET_ASSIGNMENT =
  /((?:api[_-]?key|x-api-key|access[_-]?token|auth[_-]?token|secret|password|passwd|authorization)["']?\s*[:=]\s*["']?)([^\s"'&,;}]{4,})/gi;

// Credentials passed in a URL's query string (Gemini's `?key=`, signed URLs).
const SECRET_QUERY_PARAM = /([?&](?:key|token|access_token|sig|signature)=)([^&\s"']+)/gi;

// One scan that every text with a secret matches (a superset of the patterns above, case-insensitive): most
// recorded text, message content above all, has none, and skips the fifteen scans below.
const MIGHT_HOLD_SECRET =
  /bearer|basic|sk-|aiza|akia|asia|gh[pousr]_|github_pat_|xox[abprs]-|hf_|gsk_|xai-|pplx-|eyj|[?&](?:key|token|access_token|sig|signature)=|api[_-]?key|access[_-]?token|auth[_-]?token|secret|passw|authorization/i;

/**
 * Replaces API keys, bearer tokens and similar credentials in `text` with `[REDACTED]`.
 *
 * @example
 * ```ts
 * maskSecrets('401: invalid key sk-proj-abcdefghijklmnop1234');
 * // '401: invalid key [REDACTED]'
 * ```
 */
export function maskSecrets(text: string): string {
  if (!MIGHT_HOLD_SECRET.test(text)) return text;
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(SECRET_QUERY_PARAM, (_m, key: string) => `${key}${REDACTED}`);
  return out.replace(SECRET_ASSIGNMENT, (_m, key: string) => `${key}${REDACTED}`);
}

/** Cuts `text` to at most `maxLength` code units, marking the cut with an ellipsis. */
export function truncate(text: string, maxLength: number = DEFAULT_MAX_ATTRIBUTE_LENGTH): string {
  if (text.length <= maxLength) return text;
  if (maxLength <= 1) return text.slice(0, Math.max(0, maxLength));
  return `${text.slice(0, maxLength - 1)}…`;
}

/**
 * Makes a string safe to record: secrets masked, then length-limited (masking first, so a cut never
 * leaves half a key behind).
 */
export function sanitize(text: string, maxLength: number = DEFAULT_MAX_ATTRIBUTE_LENGTH): string {
  return truncate(maskSecrets(text), maxLength);
}

/** A recordable message for any thrown value, sanitised. */
export function errorMessageOf(err: unknown, maxLength?: number): string {
  let message: string;
  if (err instanceof Error) message = err.message;
  else if (typeof err === 'string') message = err;
  else {
    try {
      message = JSON.stringify(err) ?? String(err);
    } catch {
      message = String(err);
    }
  }
  return sanitize(message, maxLength);
}

/** A low-cardinality type name for a thrown value (for `error.type` when nothing better is known). */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) return err.name || 'Error';
  if (typeof err === 'object' && err !== null) {
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0 && name.length < 64) return name;
  }
  return '_OTHER';
}
