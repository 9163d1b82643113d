// The lab's network on the host: a bridge, one network namespace per node joined to it by a
// veth pair, and the one FORWARD rule that lets the bridge carry traffic (the host engine sets
// the FORWARD policy to DROP). Setup is a list of argv (pure, tested); teardown finds what
// exists by name, so it also works after a crash that lost the state file.
import { FailedError } from '../errors.js';
import { run, runChecked } from './exec.js';
import type { Argv } from './engine-argv.js';
import { LAB_BRIDGE, LAB_HOST_ADDRESS, LAB_PREFIX_LENGTH, NETNS_PATTERN, VETH_PATTERN, type LabNodePlan } from './plan.js';

/** The rule, without the -I / -C / -D verb. */
export const FORWARD_RULE = ['FORWARD', '-i', LAB_BRIDGE, '-o', LAB_BRIDGE, '-j', 'ACCEPT'];

const ip = (...args: string[]): Argv => ({ file: 'ip', args });

export function bridgeSetupSteps(): Argv[] {
  return [
    ip('link', 'add', LAB_BRIDGE, 'type', 'bridge'),
    ip('addr', 'add', `${LAB_HOST_ADDRESS}/${LAB_PREFIX_LENGTH}`, 'dev', LAB_BRIDGE),
    ip('link', 'set', LAB_BRIDGE, 'up'),
    { file: 'iptables', args: ['-I', ...FORWARD_RULE] },
  ];
}

export function nodeNetworkSteps(node: LabNodePlan): Argv[] {
  const inNs = (...args: string[]) => ip('-n', node.netns, ...args);
  return [
    ip('netns', 'add', node.netns),
    ip('link', 'add', node.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns),
    ip('link', 'set', node.veth, 'master', LAB_BRIDGE),
    ip('link', 'set', node.veth, 'up'),
    inNs('link', 'set', 'lo', 'up'),
    inNs('addr', 'add', `${node.address}/${LAB_PREFIX_LENGTH}`, 'dev', 'eth0'),
    inNs('link', 'set', 'eth0', 'up'),
    // Anything off the lab subnet goes to the host, which forwards only bridge to bridge.
    inNs('route', 'add', 'default', 'via', LAB_HOST_ADDRESS),
  ];
}

export function setLinkArgv(node: Pick<LabNodePlan, 'veth'>, state: 'up' | 'down'): Argv {
  return ip('link', 'set', node.veth, state);
}

async function runSteps(steps: Argv[]): Promise<void> {
  for (const step of steps) await runChecked(step.file, step.args, `\`${step.file} ${step.args.join(' ')}\``);
}

export async function createBridge(): Promise<void> {
  await runSteps(bridgeSetupSteps());
}

export async function createNodeNetwork(node: LabNodePlan): Promise<void> {
  await runSteps(nodeNetworkSteps(node));
}

export async function setLink(node: Pick<LabNodePlan, 'veth'>, state: 'up' | 'down'): Promise<void> {
  const { file, args } = setLinkArgv(node, state);
  await runChecked(file, args, `taking ${node.veth} ${state}`);
}

/** Lab namespaces that exist now (rha-lab1..7), found by name. */
export async function labNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => NETNS_PATTERN.test(name));
}

/** Lab links on the host (the bridge and rha-vethI), found by name. */
export async function labLinks(): Promise<string[]> {
  const out = await run('ip', ['-o', 'link', 'show']);
  return parseLinkNames(out.stdout).filter((name) => name === LAB_BRIDGE || VETH_PATTERN.test(name));
}

/** Names from `ip -o link show` ("3: rha-veth1@if2: <...>" -> "rha-veth1"). */
export function parseLinkNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (m?.[1]) names.push(m[1]);
  }
  return names;
}

export async function forwardRulePresent(): Promise<boolean> {
  return (await run('iptables', ['-C', ...FORWARD_RULE])).exitCode === 0;
}

/** Removes namespaces, veths, bridge and every copy of the FORWARD rule. Safe to repeat. */
export async function removeLabNetwork(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await labNamespaces()) {
    await runChecked('ip', ['netns', 'delete', ns], `deleting network namespace ${ns}`);
    removed.push(`netns ${ns}`);
  }
  // Deleting a namespace deletes its veth ends; whatever is left is removed by name.
  // The kernel removes those asynchronously, so a link listed a moment ago may be gone already.
  for (const link of await labLinks()) {
    const r = await run('ip', ['link', 'delete', link]);
    if (r.exitCode === 0) removed.push(`link ${link}`);
    else if (!/Cannot find device/i.test(r.stderr)) throw new FailedError(`deleting link ${link} failed: ${r.stderr.trim()}`);
  }
  for (let i = 0; i < 10 && (await forwardRulePresent()); i++) {
    await runChecked('iptables', ['-D', ...FORWARD_RULE], 'removing the lab FORWARD rule');
    removed.push(`iptables ${FORWARD_RULE.join(' ')}`);
  }
  return removed;
}
