import { describe } from 'vitest';
import { coreRoutingCases } from './core.cases.ts';

describe('global API core routing (Node)', () => {
  coreRoutingCases();
});
