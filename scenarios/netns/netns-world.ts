import type { WorldFactory } from '../world.ts';

/** Placeholder until the netns world lands. */
export const createNetnsWorld: WorldFactory = async () => {
  throw new Error('netns mode is not built yet');
};
