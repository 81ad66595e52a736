// `make token`'s entry: prints a development token straight from the sources (through tsx), so
// printing one needs no build. `orderflow token` (bin/orderflow.js) is the same command, compiled.
import { tokenCommand } from './token.command.js'

process.exitCode = tokenCommand(process.argv.slice(2), process.env, (s) => console.log(s))
