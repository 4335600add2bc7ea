// A worker thread does not inherit the parent's tsx loader hooks: register them, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
