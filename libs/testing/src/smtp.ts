/**
 * @orderflow/testing/smtp — a local SMTP server a test runs itself, to see the mails a service
 * sends. A separate entry so tests that send no mail need not load smtp-server.
 */
export { startSmtpCatcher } from './smtp-catcher.js'
export type { CaughtMail, SmtpCatcher } from './smtp-catcher.js'
