import { describe, expect, it } from 'vitest';
import { canonicalIp, formatCidr, hostRange, overlaps, parseCidr, parseIp } from './ip.ts';

describe('ip', () => {
  it('parses and formats IPv4 and IPv6 canonically', () => {
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('10.0.0.256')).toBeNull();
    expect(canonicalIp('010.0.0.1')).toBeNull();
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(canonicalIp('1:2:3:4:5:6:7')).toBeNull();
    expect(canonicalIp('1::2::3')).toBeNull();
    expect(parseIp('fe80::1')?.version).toBe(6);
  });

  it('validates CIDRs and recommends the network address', () => {
    const bad = parseCidr('10.0.0.1/24');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain("'10.0.0.0/24' is recommended");
    expect(parseCidr('10.0.0.0/33').ok).toBe(false);
    expect(parseCidr('nonsense').ok).toBe(false);
    const ok = parseCidr('2001:db8::/64');
    expect(ok.ok && formatCidr(ok.cidr)).toBe('2001:db8::/64');
  });

  it('computes host ranges and overlaps', () => {
    const a = parseCidr('10.0.0.0/24');
    const b = parseCidr('10.0.0.128/25');
    const c = parseCidr('10.0.1.0/24');
    if (!a.ok || !b.ok || !c.ok) throw new Error('parse');
    expect(overlaps(a.cidr, b.cidr)).toBe(true);
    expect(overlaps(a.cidr, c.cidr)).toBe(false);
    const r = hostRange(a.cidr);
    expect(r && [r.first & 0xffn, r.last & 0xffn]).toEqual([1n, 254n]);
  });
});
