#!/usr/bin/env node
// Entry for `make chaos` and `npx orderflow-chaos`: runs the compiled chaos run (`make build` first).
import { main } from '../dist/main.js'

process.exitCode = await main(process.argv.slice(2))
