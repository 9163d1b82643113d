// The yargs definition of `redis-ha env`; env.ts is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y)
    .option('format', {
      choices: ['dotenv', 'json', 'github'] as const,
      default: 'dotenv' as const,
      describe: "dotenv: KEY=value lines; json: one object; github: append to GITHUB_ENV (the next steps' environment) and GITHUB_OUTPUT (this step's outputs)",
    })
    .example('$0 env --name shop', 'REDIS_SENTINELS, REDIS_MASTER_NAME, REDIS_USERNAME, REDIS_PASSWORD_FILE, ...')
    .example('eval "$($0 env --name shop)"; redis-cli -u "$REDIS_WRITE_URL" --pass "$(cat "$REDIS_PASSWORD_FILE")" PING', 'In a shell script')
    .example('$0 env --name shop --format github', 'In a GitHub Actions step: the values for the steps after it')
    .epilog('The values are those of <dir>/clients/env, written by `redis-ha deploy`: addresses, names and file paths, never a password (REDIS_PASSWORD_FILE names the file that holds it).');

export const envCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'env',
  describe: "Print a deployment's client settings (Sentinels, master name, user, secret file, HAProxy URLs) for scripts and CI",
  builder,
  handler: async (args) => {
    const { env, printEnv } = await import('./env.js');
    await printEnv(await env(args, cli.io), args.json ? 'json' : args.format, cli.io);
  },
});
