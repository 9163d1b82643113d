// What one Sentinel says: the master it names, the replicas and Sentinels it sees, CKQUORUM.
import { type Credentials, pairsToRecord, withConnection, type Endpoint } from './connect.js';

export interface SentinelState {
  reachable: boolean;
  error?: string;
  /** Hostname the Sentinel names as master (e.g. redis-2). */
  master?: string;
  masterFlags?: string;
  replicasSeen?: string[];
  /** Replicas the Sentinel considers usable (not s_down / disconnected). */
  replicasOk?: string[];
  otherSentinels?: string[];
  ckquorum?: { ok: boolean; message: string };
}

export async function probeSentinel(endpoint: Endpoint, auth: Credentials, masterName: string): Promise<SentinelState> {
  try {
    return await withConnection(endpoint, auth, async (r) => {
      const master = pairsToRecord(await r.call('SENTINEL', 'MASTER', masterName));
      const replicas = ((await r.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairsToRecord);
      const sentinels = ((await r.call('SENTINEL', 'SENTINELS', masterName)) as unknown[]).map(pairsToRecord);
      let ckquorum: SentinelState['ckquorum'];
      try {
        ckquorum = { ok: true, message: String(await r.call('SENTINEL', 'CKQUORUM', masterName)) };
      } catch (err) {
        ckquorum = { ok: false, message: (err as Error).message };
      }
      const usable = (flags: string) => !/s_down|o_down|disconnected/.test(flags);
      // A peer Sentinel counts as CKQUORUM counts it: known and not down. Its command link may
      // still be connecting ("disconnected" for up to 1 s after a simultaneous start).
      const peerUsable = (flags: string) => !/s_down|o_down/.test(flags);
      return {
        reachable: true,
        master: master.ip,
        masterFlags: master.flags,
        replicasSeen: replicas.map((x) => x.ip ?? '').sort(),
        replicasOk: replicas
          .filter((x) => usable(x.flags ?? ''))
          .map((x) => x.ip ?? '')
          .sort(),
        otherSentinels: sentinels
          .filter((x) => peerUsable(x.flags ?? ''))
          .map((x) => x.ip ?? '')
          .sort(),
        ckquorum,
      };
    });
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}

/**
 * How soon a Sentinel finds a re-created swarm task again. A Sentinel re-resolves an instance's
 * name only when it reconnects, and it drops a link whose pings go unanswered only once that
 * link is older than min-link-reconnect-period (15 s by default). On an overlay network a
 * re-created task's old address answers nothing (no reset, no "unreachable"), so a reconnect
 * made while the new task was not yet in DNS sat on the old address for 15 s: every step of a
 * rolling deploy on the lab waited 15-20 s for the Sentinels to see the node again (2 s with
 * this). A runtime setting (`SENTINEL DEBUG`, Redis >= 7.0; lost at a restart): set again
 * before each step, and Sentinel's default put back when the operation ends: with the short
 * period left on, a master stopped on swarm came back (a new task) while the Sentinels failed
 * it over, took writes through HAProxy with a replica still attached, and lost them at its
 * demotion (CI, stop-master on the lab). Best effort: false where it was refused or the
 * Sentinel did not answer.
 */
export const SWARM_RELINK_MS = 1000;
/** Sentinel's own default min-link-reconnect-period. */
export const DEFAULT_RELINK_MS = 15_000;

export async function setRelinkPeriod(endpoint: Endpoint, auth: Credentials, ms: number): Promise<boolean> {
  return withConnection(endpoint, auth, (r) => r.call('SENTINEL', 'DEBUG', 'min-link-reconnect-period', String(ms)), 2000).then(
    () => true,
    () => false,
  );
}
