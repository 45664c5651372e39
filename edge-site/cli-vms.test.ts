import { describe, expect, it } from 'vitest';
import { checkAgentDir, chooseDriver } from './cli-vms.ts';

describe('brume up: driver choice', () => {
  it('honours --driver fake without looking for QEMU, and refuses unknown drivers', async () => {
    expect(await chooseDriver('fake')).toEqual({ driver: 'fake', reason: '--driver fake' });
    await expect(chooseDriver('kvm')).rejects.toThrow(/fake, qemu or auto/);
  });

  it('auto gives a reason either way', async () => {
    const c = await chooseDriver('auto');
    expect(['fake', 'qemu']).toContain(c.driver);
    expect(c.reason).toMatch(c.driver === 'qemu' ? /found/ : /not installed/);
  });

  it('refuses agent folders too deep for QMP unix sockets', () => {
    expect(() => checkAgentDir('/tmp/b/site1/agents/site1-host1')).not.toThrow();
    expect(() => checkAgentDir(`/tmp/${'x'.repeat(60)}/site1/agents/site1-host1`)).toThrow(/shorter --data-dir/);
  });
});
