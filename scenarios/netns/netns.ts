/** Whether network namespaces can be used here (root, `ip`, `tc`, `nft`), or why not. */
import { execFileSync } from 'node:child_process';

/** Why the netns mode cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces, tc netem, nftables)';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['tc', ['-V']],
    ['nft', ['--version']],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: 'ignore' });
    } catch {
      return `the ${tool} command is missing`;
    }
  }
  try {
    execFileSync('ip', ['netns', 'add', 'brume-probe'], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', 'brume-probe'], { stdio: 'ignore' });
  } catch {
    return 'creating a network namespace is not permitted (a container without CAP_SYS_ADMIN?)';
  }
  return undefined;
}
