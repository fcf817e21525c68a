#!/usr/bin/env node
// Quire's CLI entry. The sources are TypeScript run by Node's own type stripping, which needs Node >= 22.18
// (npm scripts get Node 24 from the `node` devDependency; Electron ships Node 24 too).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`quire: NODE_VERSION: Node ${process.versions.node} is too old; run through npm (npx quire …) or install Node >= 22.18\n`);
  process.exit(1);
}
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
