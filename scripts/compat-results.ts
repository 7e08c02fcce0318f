/**
 * The compatibility matrix's results file: written by test/integration/compat.test.ts, rendered into
 * the README by scripts/compat-table.ts. One definition, so writer and reader agree.
 */
import { join } from 'node:path';

export const COMPAT_RESULTS_FILE = join(__dirname, '..', '.cache', 'compat', 'results.json');

export const STEPS = ['info', 'ping', 'createIndex', 'indexDoc', 'bulk', 'search', 'exists'] as const;
export type Step = typeof STEPS[number];

export interface StepResult { step: Step; ok: boolean; error?: string; status?: number; message?: string }

export interface CellResult {
  client: string;
  clientLabel: string;
  clientPackage: string;
  clientVersion: string;
  connection: string;
  option?: string;
  server: string;
  serverLabel: string;
  serverVersion: string;
  /** `build_flavor` from GET / where the server reports one (`oss` for the 7.10.2 zip, as on AWS). */
  serverFlavor?: string;
  service: string;
  works: boolean;
  summary: string;
  /** The first failing step's error, short: for the table. */
  firstFailure?: { step: Step; error: string; message: string };
  steps: StepResult[];
  requests: number;
  accepted: number;
  rejected: number;
  rejections: string[];
  ms: number;
}

export interface CompatResults {
  generatedAt: string; command: string; node: string; complete: boolean; cells: CellResult[];
  /** scripts/measured-commit.ts at measurement time (absent in files from before it). */
  commit?: string;
}
