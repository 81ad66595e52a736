#!/usr/bin/env node
// Entry for `make bench` and `npx orderflow-bench`: runs the compiled benchmark (`make build` first).
import { main } from '../dist/main.js'

process.exitCode = await main(process.argv.slice(2))
