import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { expect, it } from 'vitest';
import { settleWithCrypto, trackCryptoWork } from './crypto-work.ts';

it('settling waits for WebCrypto work on the thread pool (a token verification), however long it takes', async () => {
  trackCryptoWork();
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const jwt = await new SignJWT({ n: 1 }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
  let verified = 0;
  for (let i = 0; i < 20; i++) void jwtVerify(jwt, publicKey).then(() => verified++);
  let rounds = 0;
  await settleWithCrypto(async () => {
    rounds++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  });
  expect(verified).toBe(20);
  expect(rounds).toBeGreaterThan(1);
});
