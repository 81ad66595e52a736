import { booksCommand } from './books.command.js'
import { dlqCommand } from './dlq.command.js'
import { tokenCommand } from './token.command.js'

const usage = `usage: orderflow <command> [options]
commands:
  token   print a development JWT (orderflow token --help)
  dlq     list, show, replay or purge dead letters (orderflow dlq --help)
  books   check that orders, stock and payments agree (orderflow books --help)`

/** Runs one CLI command and returns the process exit code. */
export async function main(argv: string[], env = process.env, out = (s: string) => console.log(s)): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'token':
        return tokenCommand(rest, env, out)
      case 'dlq':
        return await dlqCommand(rest, env, out)
      case 'books':
        return await booksCommand(rest, env, out)
      case undefined:
      case '--help':
      case 'help':
        out(usage)
        return command === undefined ? 2 : 0
      default:
        out(`orderflow: unknown command ${command}\n${usage}`)
        return 2
    }
  } catch (error) {
    // parseArgs reports unknown or malformed options as TypeErrors with a readable message.
    out(`orderflow ${command}: ${error instanceof Error ? error.message : String(error)}`)
    return 2
  }
}
