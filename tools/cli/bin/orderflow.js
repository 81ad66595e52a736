#!/usr/bin/env node
// Entry for `npx orderflow`: runs the compiled CLI (`make build` or `npm run build` first).
import { main } from '../dist/main.js'

process.exitCode = await main(process.argv.slice(2))
