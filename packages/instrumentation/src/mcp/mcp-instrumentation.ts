import { VERSION } from '@agentrace/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
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
  }

  override disable(): void {
    this.telemetry.enabled = false;
    super.disable();
  }
}
