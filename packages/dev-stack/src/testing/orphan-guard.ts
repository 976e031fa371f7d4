// Preloaded into a service that startService runs: when the test process that
// started it dies without stopping it (a tap timeout kills it by signal, so no
// 'exit' handler runs), the service is re-parented; it then stops itself
// instead of holding a port and a database connection until the machine reboots.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM')
}, 1_000).unref()
