// Lists the runnable services for the dev scripts, one per line: "<name> <port> <database 0|1>".
// Each service declares itself in its package.json under "orderflow" ({ "port", "database" }),
// so adding a service to `make up` needs no edit here.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../../services/', import.meta.url).pathname
for (const name of readdirSync(root).sort()) {
  const file = join(root, name, 'package.json')
  if (!existsSync(file)) continue
  const meta = JSON.parse(readFileSync(file, 'utf8')).orderflow
  if (!meta) continue
  console.log(`${name} ${meta.port} ${meta.database ? 1 : 0}`)
}
