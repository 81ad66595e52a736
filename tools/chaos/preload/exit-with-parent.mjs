// Preloaded (`--import`) into every service a chaos run starts: the run holds the other end of the
// service's stdin, so when the run's process dies — even by SIGKILL, when no handler of ours runs —
// stdin ends and the service exits instead of living on as an orphan. (As e2e's own preload does.)
process.stdin.on('end', () => process.exit(1))
process.stdin.resume()
