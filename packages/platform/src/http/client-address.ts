import { BlockList, isIP } from 'node:net'

export interface TrustedProxiesOptions {
  /**
   * How many trusted proxies the chain may pass through before the client's
   * address is reached; undefined: any number. A service behind exactly one
   * proxy (the Auth Service behind the gateway) says 1: it takes the right-most
   * X-Forwarded-For entry and nothing a client wrote to its left.
   */
  maxHops?: number
}

/** `::ffff:127.0.0.1` is the IPv4 address 127.0.0.1: one client, one key. */
const plainAddress = (address: string): string =>
  address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address

/**
 * The address of the client behind trusted proxies (an ingress, the gateway):
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy.
 * Untrusted peers cannot spoof an address by sending the header.
 * The rules, and what each service trusts: docs/security.md.
 */
export class TrustedProxies {
  private readonly list = new BlockList()
  private empty = true

  /** Comma-separated addresses and CIDR ranges, e.g. "127.0.0.1,::1,10.0.0.0/8". Empty: trust nobody. */
  constructor(
    spec: string,
    private readonly options: TrustedProxiesOptions = {},
  ) {
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
    const plain = plainAddress(address)
    const family = isIP(plain)
    return family !== 0 && this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }

  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    const chain = this.forwardedChain(peer, forwardedFor)
    return chain[chain.length - 1] ?? 'unknown'
  }

  /**
   * What a proxy passes on as X-Forwarded-For: the received entries up to and
   * including the client's address (so the right-most entry IS the client),
   * or the peer alone when the peer is not trusted — a client's own header is
   * replaced, never extended. Malformed entries end the chain.
   */
  forwardedChain(peer: string | undefined, forwardedFor: string | string[] | undefined): string[] {
    const first = peer === undefined ? 'unknown' : plainAddress(peer)
    if (!this.trusts(first) || forwardedFor === undefined) return [first]
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((hop) => plainAddress(hop.trim()))
    const maxHops = this.options.maxHops ?? Number.POSITIVE_INFINITY
    let index = hops.length // hops[index] is the current address; hops.length stands for the peer
    let passed = 0
    while (index > 0 && passed < maxHops) {
      const next = hops[index - 1] ?? ''
      if (isIP(next) === 0) break
      index -= 1
      passed += 1
      if (!this.trusts(next)) break
    }
    if (index === hops.length) return [first]
    // Entries left of the client are the client's own claims: kept for logs only when well-formed.
    return hops.slice(0, index + 1).filter((hop, position) => position === index || isIP(hop) !== 0)
  }
}
