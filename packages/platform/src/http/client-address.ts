import { BlockList, isIP } from 'node:net'

/**
 * The address of the client behind trusted proxies (the gateway, an ingress):
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy.
 * Untrusted peers cannot spoof an address by sending the header.
 */
export class TrustedProxies {
  private readonly list = new BlockList()
  private empty = true

  /** Comma-separated addresses and CIDR ranges, e.g. "127.0.0.1,::1,10.0.0.0/8". Empty: trust nobody. */
  constructor(spec: string) {
    for (const entry of spec
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [address = '', prefix] = entry.split('/')
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (isIP(address) === 0) throw new Error(`not an IP address or CIDR range: ${entry}`)
      this.empty = false
      if (prefix === undefined) this.list.addAddress(address, family)
      else this.list.addSubnet(address, Number(prefix), family)
    }
  }

  trusts(address: string): boolean {
    if (this.empty) return false
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
    const family = isIP(plain)
    return family !== 0 && this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }

  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let address = peer ?? 'unknown'
    if (!this.trusts(address) || forwardedFor === undefined) return address
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((hop) => hop.trim())
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index] ?? ''
      if (isIP(hop) === 0) return address
      address = hop
      if (!this.trusts(hop)) return hop
    }
    return address
  }
}
