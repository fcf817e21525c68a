import { readFileSync } from 'node:fs';

// The version users see is package.json's, read once at start-up.
export const PRODUCT_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
