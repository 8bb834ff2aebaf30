#!/usr/bin/env node
// The installed command: runs the compiled composition root (npm run build makes dist/).
import { main } from '../dist/cmd/kanshi.js';

process.exitCode = await main(process.argv.slice(2));
