/**
 * `@langchain/core`'s callback base class, loaded so that a missing peer is a {@link MissingPeerDependencyError}
 * naming it rather than a bare ERR_MODULE_NOT_FOUND from deep in the import graph.
 */
import { isPackageNotFound, MissingPeerDependencyError } from '../frameworks/missing-peer.js';

type CallbacksBase = typeof import('@langchain/core/callbacks/base');

const PEER = '@langchain/core';

async function load(): Promise<CallbacksBase> {
  try {
    return await import('@langchain/core/callbacks/base');
  } catch (err) {
    if (isPackageNotFound(err, PEER)) {
      throw new MissingPeerDependencyError({
        peer: PEER,
        entry: '@agentrace/instrumentation/langchain',
        cause: err,
      });
    }
    throw err;
  }
}

/** LangChain's `BaseCallbackHandler`, from the `@langchain/core` this package resolves. */
export const { BaseCallbackHandler } = await load();
