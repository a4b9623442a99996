// Runs the CLI from source (through tsx), for development and tests: `node --import tsx src/cli/dev.ts ...`.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
