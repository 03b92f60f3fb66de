// Every row of RELIABILITY.md, in table order. A new case module exports its ReliabilityCase(s) and is appended
// here; `run.ts` runs this list and nothing else.
import type { ReliabilityCase } from './case.js';
import { collectorFaultCaseList, demoAgainstFaultsCase } from './collector-fault-cases.js';
import { concurrencyCase } from './concurrency.js';
import { fuzzCase } from './fuzz.js';
import { nonErrorThrowsCase } from './non-error-throws.js';
import { redisBudgetFleetCase } from './redis-budget-fleet.js';
import { redisSigkillCase, redisSigstopCase } from './redis-faults.js';
import { sdkFaultCaseList } from './sdk-faults.js';
import { soakCaseList } from './soak.js';

/** The cases `pnpm reliability` runs, in the order of the table. */
export const cases: readonly ReliabilityCase[] = [
  ...collectorFaultCaseList,
  demoAgainstFaultsCase,
  ...sdkFaultCaseList,
  ...soakCaseList,
  fuzzCase,
  nonErrorThrowsCase,
  concurrencyCase,
  redisSigkillCase,
  redisSigstopCase,
  redisBudgetFleetCase,
];
