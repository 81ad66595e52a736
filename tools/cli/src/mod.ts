/** @orderflow/cli — the `orderflow` operator command line. */
export { main } from './main.js'
export { ALL_ROLES, signDevToken } from './token.command.js'
export type { TokenRequest } from './token.command.js'
