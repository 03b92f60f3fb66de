import { AgentraceError, ValidationError } from '@agentrace/pricing';
import type { WallClock } from '../common/clock.js';
import type { Disposable, Listener } from '../common/listeners.js';
import { Emitter } from '../common/listeners.js';
import type { AgentStatus } from './agent-status.js';
import type { WorkerTransition } from './agent-worker.js';
import { AgentWorker, requireFunction } from './agent-worker.js';

/** Default {@link AgentRegistryOptions.capacity}. */
export const DEFAULT_REGISTRY_CAPACITY = 10_000;

/** Options of {@link AgentRegistry}. */
export interface AgentRegistryOptions {
  /**
   * How many workers the registry holds before it evicts terminal ones, oldest ended first. Active
   * workers are never evicted, so the registry may hold more than this while more are active.
   * A positive safe integer; default {@link DEFAULT_REGISTRY_CAPACITY}.
   */
  capacity?: number;
  /** Wall clock handed to every worker created here. Default `Date.now`. */
  clock?: WallClock;
  /** Random source handed to every worker created here (see {@link AgentWorkerOptions.random}). */
  random?: () => number;
}

/** Per-worker options of {@link AgentRegistry.create}. */
export interface CreateWorkerOptions {
  projectId?: number;
}

/**
 * Thrown by {@link AgentRegistry.transition} for an id the registry does not hold (never created, evicted,
 * or cleared).
 */
export class UnknownWorkerError extends AgentraceError {
  static override readonly errorName: string = 'UnknownWorkerError';

  /** The id asked for. */
  readonly workerId: string;

  constructor(workerId: string) {
    super(
      `no worker with id ${JSON.stringify(workerId)} in the registry (never created, evicted or cleared)`,
    );
    this.workerId = workerId;
  }
}

/**
 * Thrown by {@link AgentRegistry.create} when the random source keeps producing ids the registry already
 * holds: in practice, an injected `random` that returns a constant.
 */
export class WorkerIdCollisionError extends AgentraceError {
  static override readonly errorName: string = 'WorkerIdCollisionError';

  /** The last id generated, already held by another worker. */
  readonly workerId: string;
  /** How many ids were tried. */
  readonly attempts: number;

  constructor(init: { workerId: string; attempts: number }) {
    super(
      `could not generate a unique worker id after ${init.attempts} attempts (last: ${init.workerId}); ` +
        'is the injected random source constant?',
    );
    this.workerId = init.workerId;
    this.attempts = init.attempts;
  }
}

// 8 hex digits give 2^32 ids per role and phase: at 10 000 live workers of one role a collision is a
// ~1% event, so a retry is needed; several in a row only happen with a broken random source.
const MAX_ID_ATTEMPTS = 8;

interface Entry {
  readonly worker: AgentWorker;
  readonly subscription: Disposable;
}

/**
 * Holds the workers of a process (or of a set of sessions): creates them, finds them by id, role and
 * phase, or project, and transitions them by id.
 *
 * Bounded: when a new worker takes it past `capacity`, it evicts terminal workers in the order they ended
 * until it is back within capacity (or only active workers are left). Active workers are never evicted, and
 * a worker that just ended stays readable until the next `create`. Every operation is O(1) amortised, except `listActive` and
 * `getByProject` (linear in what they return) and the removal of an ending worker from its role+phase
 * index (linear in the active workers of that role and phase).
 *
 * A worker transitioned directly (`worker.transition(…)`) is tracked exactly as one transitioned through
 * the registry.
 *
 * @example
 * ```ts
 * const registry = new AgentRegistry({ capacity: 1_000 });
 * registry.onTransition(({ worker, to }) => console.log(worker.workerId, to));
 * const worker = registry.create('coder', 'build', 7);
 * registry.transition(worker.workerId, AgentStatus.INITIALIZING);
 * registry.getByRolePhase('coder', 'build') === worker; // true
 * ```
 */
export class AgentRegistry {
  /** Fires once per created worker, after it is registered (and after any eviction it caused). */
  readonly onCreate: Listener<AgentWorker>;
  /** Fires after every transition of every worker held, however it was transitioned. */
  readonly onTransition: Listener<WorkerTransition>;
  /** Fires once per worker evicted to stay within `capacity`. */
  readonly onEvict: Listener<AgentWorker>;

  readonly #capacity: number;
  readonly #clock: WallClock | undefined;
  readonly #random: (() => number) | undefined;
  readonly #createEmitter = new Emitter<AgentWorker>();
  readonly #transitionEmitter = new Emitter<WorkerTransition>();
  readonly #evictEmitter = new Emitter<AgentWorker>();

  // Insertion-ordered, so iteration is creation order.
  #entries = new Map<string, Entry>();
  #active = new Set<AgentWorker>();
  // Active workers per role+phase, oldest first: the newest is the last element.
  #activeByRolePhase = new Map<string, AgentWorker[]>();
  #byProject = new Map<number, Set<AgentWorker>>();
  // Ids of terminal workers in the order they ended; entries before #endedHead are consumed. Each worker
  // is pushed once (terminal is final) and shifted once, which makes eviction O(1) amortised.
  #ended: string[] = [];
  #endedHead = 0;

  /**
   * @throws {ValidationError} `capacity` is not a positive safe integer, or `clock`/`random` is not a
   * function.
   */
  constructor(options: AgentRegistryOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError({ field: 'options', value: options, expected: 'an options object' });
    }
    const capacity = options.capacity ?? DEFAULT_REGISTRY_CAPACITY;
    if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 1) {
      throw new ValidationError({ field: 'capacity', value: capacity, expected: 'a positive safe integer' });
    }
    this.#capacity = capacity;
    this.#clock = requireFunction('clock', options.clock);
    this.#random = requireFunction('random', options.random);
    this.onCreate = this.#createEmitter.event;
    this.onTransition = this.#transitionEmitter.event;
    this.onEvict = this.#evictEmitter.event;
  }

  /** The most workers held before terminal ones are evicted. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many workers are held (active and terminal). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Creates an idle worker and registers it. The third argument is the project id, or an options object.
   *
   * @throws {ValidationError} `role` or `phase` is not a non-empty string, or `projectId` is not a safe
   * integer.
   * @throws {WorkerIdCollisionError} The random source kept producing ids already held.
   *
   * @example
   * ```ts
   * registry.create('planner', 'design');
   * registry.create('coder', 'build', 7);
   * registry.create('coder', 'build', { projectId: 7 });
   * ```
   */
  create(role: string, phase: string, projectIdOrOptions?: number | CreateWorkerOptions): AgentWorker {
    const projectId =
      typeof projectIdOrOptions === 'object' && projectIdOrOptions !== null
        ? projectIdOrOptions.projectId
        : projectIdOrOptions;
    const worker = this.#newWorker(role, phase, projectId);
    const subscription = worker.onTransition((change) => this.#onWorkerTransition(change));
    this.#entries.set(worker.workerId, { worker, subscription });
    this.#active.add(worker);
    const key = rolePhaseKey(role, phase);
    const peers = this.#activeByRolePhase.get(key);
    if (peers) peers.push(worker);
    else this.#activeByRolePhase.set(key, [worker]);
    if (projectId !== undefined) {
      const members = this.#byProject.get(projectId);
      if (members) members.add(worker);
      else this.#byProject.set(projectId, new Set([worker]));
    }
    this.#evictOverflow();
    this.#createEmitter.emit(worker);
    return worker;
  }

  /** The worker with this id, or undefined when none is held. */
  get(workerId: string): AgentWorker | undefined {
    return this.#entries.get(workerId)?.worker;
  }

  /**
   * Transitions the worker with this id (see {@link AgentWorker.transition}) and returns it.
   *
   * @throws {UnknownWorkerError} No worker with this id is held.
   * @throws {InvalidTransitionError} The lifecycle does not allow the transition.
   * @throws {ValidationError} `to` is not an AgentStatus or `detail` is not a string.
   */
  transition(workerId: string, to: AgentStatus, detail?: string): AgentWorker {
    const worker = this.get(workerId);
    if (!worker) throw new UnknownWorkerError(workerId);
    worker.transition(to, detail);
    return worker;
  }

  /** The workers not in a terminal status, in creation order. */
  listActive(): AgentWorker[] {
    return [...this.#active];
  }

  /** The most recently created non-terminal worker of this role and phase, or undefined. */
  getByRolePhase(role: string, phase: string): AgentWorker | undefined {
    return this.#activeByRolePhase.get(rolePhaseKey(role, phase))?.at(-1);
  }

  /** Every worker held for this project (active and terminal), in creation order. */
  getByProject(projectId: number): AgentWorker[] {
    const members = this.#byProject.get(projectId);
    return members ? [...members] : [];
  }

  /**
   * Forgets every worker. Workers still referenced elsewhere keep working, but the registry no longer
   * follows them (their transitions are not re-emitted).
   */
  clear(): void {
    for (const { subscription } of this.#entries.values()) subscription.dispose();
    this.#entries = new Map();
    this.#active = new Set();
    this.#activeByRolePhase = new Map();
    this.#byProject = new Map();
    this.#ended = [];
    this.#endedHead = 0;
  }

  #newWorker(role: string, phase: string, projectId: number | undefined): AgentWorker {
    const options = { role, phase, projectId, clock: this.#clock, random: this.#random };
    let worker = new AgentWorker(options);
    for (let attempt = 1; this.#entries.has(worker.workerId); attempt++) {
      if (attempt >= MAX_ID_ATTEMPTS) {
        throw new WorkerIdCollisionError({ workerId: worker.workerId, attempts: attempt });
      }
      worker = new AgentWorker(options);
    }
    return worker;
  }

  #onWorkerTransition(change: WorkerTransition): void {
    const { worker } = change;
    if (worker.isTerminal && this.#active.delete(worker)) {
      const peers = this.#activeByRolePhase.get(rolePhaseKey(worker.role, worker.phase));
      if (peers) {
        const i = peers.lastIndexOf(worker);
        if (i !== -1) peers.splice(i, 1);
        if (peers.length === 0) this.#activeByRolePhase.delete(rolePhaseKey(worker.role, worker.phase));
      }
      this.#ended.push(worker.workerId);
    }
    this.#transitionEmitter.emit(change);
  }

  #evictOverflow(): void {
    while (this.#entries.size > this.#capacity && this.#endedHead < this.#ended.length) {
      const id = this.#ended[this.#endedHead]!;
      this.#endedHead += 1;
      const entry = this.#entries.get(id);
      if (entry) this.#evict(entry);
    }
    // Drop the consumed prefix once it dominates, so the queue's memory follows what it still holds.
    if (this.#endedHead > 1024 && this.#endedHead * 2 > this.#ended.length) {
      this.#ended = this.#ended.slice(this.#endedHead);
      this.#endedHead = 0;
    }
  }

  #evict({ worker, subscription }: Entry): void {
    subscription.dispose();
    this.#entries.delete(worker.workerId);
    if (worker.projectId !== undefined) {
      const members = this.#byProject.get(worker.projectId);
      members?.delete(worker);
      if (members?.size === 0) this.#byProject.delete(worker.projectId);
    }
    this.#evictEmitter.emit(worker);
  }
}

// JSON keeps the pair unambiguous whatever the strings hold ('a-b' + 'c' vs 'a' + 'b-c').
function rolePhaseKey(role: string, phase: string): string {
  return JSON.stringify([role, phase]);
}
