/** Form validation done before anything is sent (pure): each returns field -> message, empty when valid. */

/** Field name -> what is wrong with it. */
export type Problems = Record<string, string>;

const NAME = /^[^\s][\s\S]{0,254}$/;

function name(v: string, what: string, problems: Problems, key = 'name'): void {
  if (v.trim() === '') problems[key] = `Enter a ${what} name.`;
  else if (!NAME.test(v)) problems[key] = `The ${what} name must not start with a space and is at most 255 characters.`;
}

function int(v: string): number | null {
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : null;
}

/** The launch-instance form. */
export function validateLaunch(f: {
  name: string;
  image: string;
  flavor: string;
  count: string;
  userData: string;
}): Problems {
  const p: Problems = {};
  name(f.name, 'instance', p);
  if (!f.image) p.image = 'Choose an image.';
  if (!f.flavor) p.flavor = 'Choose a flavor.';
  const n = int(f.count);
  if (n === null || n < 1 || n > 100) p.count = 'Count is a whole number from 1 to 100.';
  if (new TextEncoder().encode(f.userData).length > 65535) p.userData = 'User data is at most 64 KiB.';
  return p;
}

/** The create-volume form. */
export function validateVolume(f: { name: string; size: string }): Problems {
  const p: Problems = {};
  name(f.name, 'volume', p);
  const n = int(f.size);
  if (n === null || n < 1 || n > 16384) p.size = 'Size is a whole number of GiB from 1 to 16384.';
  return p;
}

/** An IPv4 CIDR such as `10.0.0.0/24`. */
export function isCidr4(v: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v.trim());
  if (!m) return false;
  const parts = m.slice(1, 5).map(Number);
  return parts.every((x) => x <= 255) && Number(m[5]) <= 32;
}

/** The create-network form (the subnet is optional: no CIDR, no subnet). */
export function validateNetwork(f: { name: string; cidr: string }): Problems {
  const p: Problems = {};
  name(f.name, 'network', p);
  if (f.cidr.trim() !== '' && !isCidr4(f.cidr)) p.cidr = 'Enter an IPv4 CIDR such as 10.0.0.0/24, or leave it empty.';
  return p;
}

/** The key pair form: a name of letters, digits, `_ - .` and spaces; an imported key looks like OpenSSH's. */
export function validateKeypair(f: { name: string; publicKey: string }): Problems {
  const p: Problems = {};
  if (!/^[A-Za-z0-9_. -]{1,255}$/.test(f.name) || f.name.trim() === '') {
    p.name = 'Key pair names use letters, digits, spaces, "_", "-" and "." (1 to 255).';
  }
  const key = f.publicKey.trim();
  if (key !== '' && !/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/.test(key)) {
    p.publicKey = 'Paste an OpenSSH public key ("ssh-ed25519 AAAA… comment"), or leave it empty to generate one.';
  }
  return p;
}

/** A security group rule: protocol, optional port range, optional CIDR. */
export function validateRule(f: { protocol: string; portMin: string; portMax: string; cidr: string }): Problems {
  const p: Problems = {};
  const ports = f.protocol === 'tcp' || f.protocol === 'udp';
  const min = f.portMin.trim() === '' ? null : int(f.portMin);
  const max = f.portMax.trim() === '' ? null : int(f.portMax);
  if (ports) {
    if (f.portMin.trim() !== '' && (min === null || min < 1 || min > 65535)) p.portMin = 'Port from 1 to 65535.';
    if (f.portMax.trim() !== '' && (max === null || max < 1 || max > 65535)) p.portMax = 'Port from 1 to 65535.';
    if (min !== null && max !== null && min > max) p.portMax = 'The last port is not below the first.';
  }
  if (f.cidr.trim() !== '' && !isCidr4(f.cidr)) p.cidr = 'Enter an IPv4 CIDR such as 0.0.0.0/0, or leave it empty.';
  return p;
}

/** The image upload form. */
export function validateImage(f: { name: string; file: { size: number } | null }): Problems {
  const p: Problems = {};
  name(f.name, 'image', p);
  if (!f.file) p.file = 'Choose a file to upload.';
  return p;
}

/** The login form. */
export function validateLogin(f: { username: string; password: string; domain: string }): Problems {
  const p: Problems = {};
  if (f.username.trim() === '') p.username = 'Enter your user name.';
  if (f.password === '') p.password = 'Enter your password.';
  if (f.domain.trim() === '') p.domain = 'Enter the domain (usually Default).';
  return p;
}
