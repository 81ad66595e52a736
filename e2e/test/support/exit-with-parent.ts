// Preloaded (`--import`) into a service process a test starts: the test holds the other end of
// its stdin, so when the test process dies — even by SIGKILL on a tap timeout, when no teardown
// runs — stdin ends and the service exits instead of living on as an orphan.
process.stdin.on('end', () => process.exit(1))
process.stdin.resume()
