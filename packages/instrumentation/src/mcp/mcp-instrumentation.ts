import { VERSION } from '@agentrace/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { Hook } from 'require-in-the-middle';
import { INSTRUMENTATION_PACKAGE_NAME } from '../package-name.js';
import { type McpInstrumentationOptions, McpTelemetry } from './mcp-telemetry.js';
import { isPatched, patchProtocol, unpatchProtocol } from './patch-protocol.js';

/** The `@modelcontextprotocol/sdk` versions the MCP instrumentation supports (Streamable HTTP onwards, 1.x). */
export const MCP_SDK_SUPPORTED_VERSIONS = '>=1.12.0 <2';

/** Configuration of {@link McpInstrumentation}: the usual `enabled`, plus content capture. */
export interface McpInstrumentationConfig extends InstrumentationConfig, McpInstrumentationOptions {}

// Client and Server both extend Protocol in this one file of each build; patching its prototype covers both and
// the requests a server sends to its client (sampling, elicitation, roots).
const PROTOCOL_FILES = ['dist/esm/shared/protocol.js', 'dist/cjs/shared/protocol.js'];
const SDK = '@modelcontextprotocol/sdk';

// The SDK's package root has no CommonJS main file, so the shared require hook (which resolves a package's main
// to tell its internal files apart) never sees its CommonJS build. Its public entry points are hooked by the id
// an app requires them with instead, and the Protocol prototype is reached through the class they export.
const CJS_ENTRY_POINTS = [`${SDK}/client/index.js`, `${SDK}/server/index.js`, `${SDK}/server/mcp.js`];

function protocolPrototypeOf(exports: unknown): object | undefined {
  const e = exports as { Client?: unknown; Server?: unknown; McpServer?: unknown } | undefined;
  const cls = (e?.Client ?? e?.Server) as { prototype?: object } | undefined;
  const proto = cls?.prototype ? Object.getPrototypeOf(cls.prototype) : undefined;
  return proto && typeof (proto as { _onrequest?: unknown })._onrequest === 'function' ? proto : undefined;
}

const cjsHooks = new WeakMap<McpInstrumentation, Hook>();

// Kept outside the instance: the base constructor patches (and so needs the recorder) before subclass fields exist.
const recorders = new WeakMap<McpInstrumentation, McpTelemetry>();

/**
 * OpenTelemetry instrumentation of the Model Context Protocol SDK (`@modelcontextprotocol/sdk` 1.x), after the
 * GenAI conventions' MCP page: a CLIENT span per request or notification sent, a SERVER span per one handled,
 * joined in one trace through W3C trace context in `params._meta`, and the four MCP duration histograms.
 *
 * @example
 * ```ts
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { McpInstrumentation } from '@agentrace/instrumentation/mcp';
 * registerInstrumentations({ instrumentations: [new McpInstrumentation()] });
 * ```
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  constructor(config: McpInstrumentationConfig = {}) {
    super(`${INSTRUMENTATION_PACKAGE_NAME}/mcp`, VERSION, config);
  }

  /** The recorder the patched SDK reports to. */
  get telemetry(): McpTelemetry {
    let recorder = recorders.get(this);
    if (!recorder) {
      const config = this.getConfig();
      recorder = new McpTelemetry(
        () => this.tracer,
        () => this.meter,
        {
          ...(config.captureContent !== undefined && { captureContent: config.captureContent }),
          ...(config.maxContentLength !== undefined && { maxContentLength: config.maxContentLength }),
        },
      );
      recorders.set(this, recorder);
    }
    return recorder;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const files = PROTOCOL_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          `${SDK}/${file}`,
          [MCP_SDK_SUPPORTED_VERSIONS],
          (exports: { Protocol?: { prototype?: object } }) => {
            const proto = exports?.Protocol?.prototype;
            if (proto && !isPatched(proto)) patchProtocol(proto, this.telemetry);
            return exports;
          },
          (exports?: { Protocol?: { prototype?: object } }) => {
            const proto = exports?.Protocol?.prototype;
            if (proto) unpatchProtocol(proto);
          },
        ),
    );
    return [
      new InstrumentationNodeModuleDefinition(SDK, [MCP_SDK_SUPPORTED_VERSIONS], undefined, undefined, files),
    ];
  }

  override enable(): void {
    this.telemetry.enabled = true;
    super.enable();
    if (!cjsHooks.has(this)) {
      const hook = new Hook(CJS_ENTRY_POINTS, (exports) => {
        const proto = protocolPrototypeOf(exports);
        if (proto && !isPatched(proto)) patchProtocol(proto, this.telemetry);
        return exports;
      });
      cjsHooks.set(this, hook);
    }
  }

  override disable(): void {
    this.telemetry.enabled = false;
    cjsHooks.get(this)?.unhook();
    cjsHooks.delete(this);
    super.disable();
  }
}
