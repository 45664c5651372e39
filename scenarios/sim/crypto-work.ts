/**
 * WebCrypto calls (token signatures: jose) run on the libuv thread pool and finish at a wall-clock moment. The sim
 * waits for them before virtual time moves, as it waits for API requests, so that a request the clock does not
 * wait for (a boot asking a peer for quota) still reaches the same point at every run.
 */
let inFlight = 0;
let waiters: Array<() => void> = [];
let installed = false;

const done = () => {
  inFlight--;
  if (inFlight === 0) {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  }
};

/** Counts this process's pending `crypto.subtle` operations (idempotent). */
export function trackCryptoWork(): void {
  if (installed) return;
  installed = true;
  const subtle = globalThis.crypto.subtle as unknown as Record<string, unknown>;
  const proto = Object.getPrototypeOf(subtle) as Record<string, unknown>;
  const names = ['sign', 'verify', 'digest', 'encrypt', 'decrypt', 'deriveBits', 'deriveKey', 'importKey'];
  for (const name of [...names, 'exportKey', 'generateKey', 'wrapKey', 'unwrapKey']) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    subtle[name] = function (this: unknown, ...args: unknown[]) {
      inFlight++;
      const p = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      return p.finally(done);
    };
  }
}

/** Resolves once no tracked operation is pending. */
function cryptoIdle(): Promise<void> | undefined {
  if (inFlight === 0) return undefined;
  return new Promise((resolve) => waiters.push(resolve));
}

/** Runs `settleNet` (deliver due messages), then again after each wait for pending WebCrypto work, until none. */
export async function settleWithCrypto(settleNet: () => Promise<void>): Promise<void> {
  await settleNet();
  for (let idle = cryptoIdle(); idle; idle = cryptoIdle()) {
    await idle;
    await settleNet();
  }
}
