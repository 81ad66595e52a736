/**
 * @orderflow/config — typed settings from the environment. A bad or missing setting stops the
 * process at start with a message naming the variable.
 */
export { ConfigError, loadConfig, splitList } from './load-config.js'
export { runEntryPoint } from './entry-point.js'
export { AuthSettings, DatabaseSettings, HttpSettings, LogSettings, NatsSettings } from './settings.js'
