// `redis-ha render`: topology -> files on disk. Starts nothing.
import { lines, type Io } from '../io.js';
import { loadOrCreateCertificates } from '../files/certificates.js';
import { loadOrCreateSecrets, readText, writeDeployment, type WriteResult } from '../files/writer.js';
import { type Credentials, NO_AUTH } from '../credentials.js';
import { STATS_USER } from '../synth/secrets.js';
import { CA_CERT_FILE, swarmServerNames } from '../synth/tls.js';
import { join } from 'node:path';
import { STACK_STAGE_FILE } from '../paths.js';
import { loadTopology } from '../model/load.js';
import type { Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import { formatProblems, printJson, style, symbols } from '../report/style.js';
import { LEGACY_ENV_FILE, STACK_FILE, synthesize } from '../synth/synthesize.js';
import type { EngineFeatures } from '../synth/compose.js';
import type { Runtime } from '../runtime/runtime.js';
import { outDir, toLoadOptions, type TopologyArgs } from './topology-options.js';

export interface RenderOptions extends TopologyArgs {
  force?: boolean;
}

export interface RenderResult {
  topology: Topology;
  warnings: Problem[];
  files: WriteResult;
  /** Users whose secret this render generated (none without auth). */
  secretsCreated: string[];
  /**
   * On swarm: the stack file this render replaced (what the running stack was deployed from),
   * for a rolling deploy that changes one service at a time; undefined on a first render.
   */
  replacedStack?: string;
  /** Certificates this render issued ("CA", service names; none without TLS or when all were kept). */
  certificatesIssued: string[];
  /** Who redis-ha logs in as (admin), who clients log in as (app), HAProxy's stats login. Never printed. */
  admin: Credentials;
  app: Credentials;
  stats: Credentials;
}

/** What `runtime`'s engine takes that the files may use; an engine that does not answer gets files any engine takes (its preflight says why it failed). */
export async function engineFeatures(runtime: Runtime): Promise<EngineFeatures> {
  return { healthcheckStartInterval: await runtime.healthcheckStartInterval().catch(() => false) };
}

/** `ctx.features`: what the engine that will run the files takes (deploy asks it; `render` alone writes files any engine takes). */
export async function render(
  options: RenderOptions,
  ctx: { cwd: string; features?: EngineFeatures; beforeWrite?: (next: Topology, dir: string) => Promise<void> },
): Promise<RenderResult> {
  const { topology, warnings } = await loadTopology(toLoadOptions(options, ctx.cwd));
  const dir = outDir(options, topology.name, ctx.cwd);
  // deploy's last word before anything is written (a change a live deployment cannot take).
  await ctx.beforeWrite?.(topology, dir);
  const auth = topology.auth.enabled;
  // Secrets are read (or generated) only with auth; without it no secret file is written,
  // and the ones of an earlier render are removed with the rest of what it no longer makes.
  // A rotation in progress (`rotate-secrets`) is kept: both passwords stay in the configs.
  const { secrets, created, rotations } = auth ? await loadOrCreateSecrets(dir) : { secrets: undefined, created: [], rotations: {} };
  // Certificates likewise: issued on the first render, kept by later ones while still good.
  const tls = await loadOrCreateCertificates(dir, topology);
  // What runs: the staged file of a rolling deploy that stopped half-way, else the last deploy's.
  const replacedStack = topology.target === 'swarm' ? ((await readText(join(dir, STACK_STAGE_FILE))) ?? (await readText(join(dir, STACK_FILE)))) : undefined;
  const files = await writeDeployment(dir, synthesize(topology, secrets, rotations, tls.files, ctx.features), { force: options.force });
  const caPem = tls.files.get(CA_CERT_FILE);
  const serverNames = swarmServerNames(topology);
  const trust = caPem ? { tls: { ca: caPem, caFile: join(dir, CA_CERT_FILE), ...(serverNames ? { serverNames } : {}) } } : {};
  const login = (username: string, password: string | undefined): Credentials => ({ ...(password ? { username, password } : NO_AUTH), ...trust });
  return {
    topology,
    warnings,
    files,
    secretsCreated: created,
    ...(replacedStack !== undefined ? { replacedStack } : {}),
    certificatesIssued: tls.issued,
    admin: login('admin', secrets?.admin),
    app: login('app', secrets?.app),
    stats: secrets ? { username: STATS_USER, password: secrets['haproxy-stats'], ...(rotations['haproxy-stats']?.phase === 'switched' ? { previousPassword: rotations['haproxy-stats'].old } : {}) } : NO_AUTH,
  };
}

export function renderSummaryJson(result: RenderResult) {
  return {
    deployment: result.topology.name,
    preset: result.topology.preset,
    dir: result.files.dir,
    written: result.files.written,
    unchanged: result.files.unchanged,
    removed: result.files.removed,
    warnings: result.warnings,
  };
}

export function printRenderResult(result: RenderResult, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, renderSummaryJson(result));
  const { topology: t, files } = result;
  if (result.warnings.length) err(formatProblems(result.warnings));
  out(`${symbols.ok()} rendered ${style.bold(t.name)} (preset ${t.preset}, profile ${t.profile}) into ${files.dir}`);
  for (const f of files.written) out(`  wrote     ${f}`);
  for (const f of files.unchanged) out(style.dim(`  unchanged ${f}`));
  for (const f of files.removed) out(`  removed   ${f}`);
  if (result.secretsCreated.length) {
    out(style.dim(`  new secrets generated for ${result.secretsCreated.join(', ')}: secrets/<user> (directory mode 0700; kept out of git by .gitignore)`));
  }
  if (result.certificatesIssued.length) {
    out(
      style.dim(
        `  new TLS certificates issued for ${result.certificatesIssued.join(', ')}: tls/ (clients need tls/ca.crt${result.certificatesIssued.includes('CA') ? ', a new CA' : ''})`,
      ),
    );
  }
  if (files.removed.includes(LEGACY_ENV_FILE)) {
    out(
      `  ${symbols.warn()} the single password of .env is gone: each user has its own secret now (secrets/); clients log in as user "app" (secrets/app)`,
    );
  }
}
