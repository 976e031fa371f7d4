import { createServer, type AddressInfo, type Server } from 'node:net'

/** True when nothing listens on host:port (we could bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', () => resolve(false))
    probe.listen(port, host, () => probe.close(() => resolve(true)))
  })
}

/** A port the OS considers free right now (for programs that cannot take port 0 themselves). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host)
  if (port === undefined) throw new Error('no free port')
  return port
}

/** `count` distinct free ports: all are bound at once, so no two are the same (e.g. a broker's client and controller ports). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const probe = createServer()
          probe.unref()
          probe.once('error', reject)
          probe.listen(0, host, () => resolve(probe))
        }),
    ),
  )
  const ports = probes.map((probe) => (probe.address() as AddressInfo).port)
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))))
  return ports
}

/** Fails with one message naming every taken port, so a user sees all conflicts at once. */
export async function assertPortsFree(ports: { port: number; owner: string }[], host = '127.0.0.1'): Promise<void> {
  const taken: string[] = []
  for (const { port, owner } of ports) {
    if (!(await isPortFree(port, host))) taken.push(`${port} (${owner})`)
  }
  if (taken.length > 0) {
    throw new Error(`ports already in use: ${taken.join(', ')}. Is another 'npm start' running? Stop it or free the ports.`)
  }
}
