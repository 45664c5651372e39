import { memoryCatalogStore } from './testing/memory-catalog-store.ts';
import { runCatalogStoreContract } from './testing/run-catalog-store-contract.ts';

runCatalogStoreContract('memory', { open: async () => memoryCatalogStore() });
