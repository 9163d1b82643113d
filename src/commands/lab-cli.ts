// The yargs definition of `redis-ha lab up | down | status` (nested commands), kept beside the
// command so that the command line only registers it; lab.ts is loaded when a lab command runs.
// Ctrl-C, the streams and the exit code come from the command line (src/cli.ts, whose SIGINT
// listener stays registered for the whole run: execa's exit hook re-raises SIGINT when no
// listener is left, which would kill the process before a half-built lab is removed).
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import { LAB_DEFAULT_NODES, LAB_MAX_NODES, LAB_MIN_NODES } from '../lab/plan.js';
import type { CommandLine, GlobalArgs } from './context.js';
import type { LabCommandContext } from './lab.js';

/** The lab's context from the command's: progress on stderr (none with --json), the CLI's runner. */
const labContext = async (ctx: Pick<CommandLine, 'signal' | 'io' | 'context'>, json: boolean): Promise<LabCommandContext> => ({
  signal: ctx.signal,
  io: { print: json ? undefined : (line) => void ctx.io.stderr.write(`  ${line}\n`) },
  runner: (await ctx.context()).runner,
});

const lab = () => import('./lab.js');

export const labCommand = (ctx: CommandLine): CommandModule<GlobalArgs, GlobalArgs> => ({
  command: 'lab <command>',
  describe: 'A Docker Swarm of N engines on this Linux machine, one per network namespace, for multi-host topologies (root)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(
        'up',
        'Build the lab (or keep it when healthy): bridge, namespaces, engines, images, a swarm of N managers',
        (c) =>
          c
            .option('nodes', { type: 'number', default: LAB_DEFAULT_NODES, describe: `Engines (swarm managers), ${LAB_MIN_NODES}..${LAB_MAX_NODES}` })
            .option('image', { type: 'string', array: true, describe: 'Image to copy from the host engine into every node (repeatable) [default: every redis-ha-local/* image]' })
            .example('sudo $0 lab up', '3 engines, node1..node3 at 10.77.0.11-13, one swarm')
            .example('sudo $0 lab up --nodes 5 --image redis:7.4-alpine', '5 managers, with one image copied in')
            .example('DOCKER_HOST=unix:///run/redis-ha-lab/node1/docker.sock docker node ls', 'Then talk to node1'),
        async (args) => {
          const { labUp, printLabUp } = await lab();
          const json = Boolean(args.json);
          printLabUp(await labUp({ nodes: args.nodes, image: args.image }, await labContext(ctx, json)), json, ctx.io);
        },
      )
      .command(
        'down',
        'Stop every lab engine and remove namespaces, bridge, iptables rule, mounts and state (safe to repeat)',
        (c) => c.example('sudo $0 lab down', 'Also after a crash: finds what is left by name'),
        async (args) => {
          const { labDown, printLabDown } = await lab();
          printLabDown(await labDown({}, await labContext(ctx, Boolean(args.json))), Boolean(args.json), ctx.io);
        },
      )
      .command(
        'status',
        'Each node: engine answering, link, swarm role and availability, the leader; exit 0 only when healthy',
        (c) => c.example('sudo $0 lab status --json', 'As JSON'),
        async (args) => {
          const { labStatus, printLabStatus } = await lab();
          const s = await labStatus({}, await labContext(ctx, Boolean(args.json)));
          printLabStatus(s, Boolean(args.json), ctx.io);
          ctx.setExit(s.healthy ? EXIT.ok : EXIT.failed);
        },
      )
      .demandCommand(1, 'Name a lab command: up, down or status.'),
  handler: () => undefined,
});
