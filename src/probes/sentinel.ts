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
