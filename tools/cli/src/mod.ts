/** @orderflow/cli — the `orderflow` operator command line. */
export { main } from './main.js'
export { ALL_ROLES, signDevToken } from './token.command.js'
export type { TokenRequest } from './token.command.js'
export { auditBooks } from './books.js'
export type { AuditScope, Books, BooksReport } from './books.js'
export { readBooks } from './books-reader.js'
export type { BooksDatabases, BooksSelection } from './books-reader.js'
export { booksDatabases } from './books.command.js'
