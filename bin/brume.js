#!/usr/bin/env node
// Entry point of the `brume` command: runs the TypeScript CLI with Node's type stripping (Node >= 22.18/23.6).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'edge-site', 'cli.ts'));
