import t from 'tap'
import { TrustedProxies } from '../src/http/client-address.js'

// Pure address arithmetic: no socket is involved, so none is opened. The
// services' attack tests (services/*/test/attacks.test.ts) check it over HTTP.

t.test('nobody trusted: the peer is the client and a client header is replaced', async (t) => {
  const edge = new TrustedProxies('')
  t.equal(edge.clientAddress('192.0.2.1', '203.0.113.77'), '192.0.2.1')
  t.strictSame(edge.forwardedChain('192.0.2.1', '203.0.113.77, 10.0.0.1'), ['192.0.2.1'])
  t.strictSame(edge.forwardedChain('::ffff:127.0.0.1', undefined), ['127.0.0.1'], 'IPv4-mapped peers are plain IPv4')
  t.equal(edge.clientAddress(undefined, '203.0.113.77'), 'unknown')
})

t.test('behind trusted proxies: the right-most entry that is not a proxy', async (t) => {
  const proxies = new TrustedProxies('10.0.0.0/8, 127.0.0.1')
  t.equal(proxies.clientAddress('10.1.1.1', '198.51.100.1, 203.0.113.5, 10.2.2.2'), '203.0.113.5')
  t.strictSame(proxies.forwardedChain('10.1.1.1', '198.51.100.1, 203.0.113.5, 10.2.2.2'), ['198.51.100.1', '203.0.113.5'])
  t.equal(proxies.clientAddress('10.1.1.1', ['198.51.100.1', '203.0.113.5']), '203.0.113.5', 'repeated headers join')
  t.equal(proxies.clientAddress('10.1.1.1', 'garbage, 10.2.2.2'), '10.2.2.2', 'a malformed entry ends the chain')
  t.strictSame(proxies.forwardedChain('10.1.1.1', 'x, 198.51.100.1, 10.2.2.2'), ['198.51.100.1'], 'no malformed entries are passed on')
  t.equal(proxies.clientAddress('10.1.1.1', '10.2.2.2, 10.3.3.3'), '10.2.2.2', 'all proxies: the left-most')
  t.equal(proxies.clientAddress('10.1.1.1', undefined), '10.1.1.1')
  t.equal(proxies.clientAddress('192.0.2.1', '10.2.2.2'), '192.0.2.1', 'an untrusted peer is the client')
})

t.test('one hop: the right-most entry, even a trusted address, and nothing left of it', async (t) => {
  const gatewayOnly = new TrustedProxies('127.0.0.1', { maxHops: 1 })
  t.equal(gatewayOnly.clientAddress('127.0.0.1', '203.0.113.77, 127.0.0.1'), '127.0.0.1')
  t.equal(gatewayOnly.clientAddress('127.0.0.1', '203.0.113.77, 198.51.100.9'), '198.51.100.9')
  t.equal(gatewayOnly.clientAddress('127.0.0.1', 'nonsense'), '127.0.0.1')
  t.equal(gatewayOnly.clientAddress('192.0.2.1', '198.51.100.9'), '192.0.2.1')
})

t.test('a bad specification stops the service at start', async (t) => {
  t.throws(() => new TrustedProxies('10.0.0.0/8, example.com'), /not an IP address or CIDR range: example.com/)
})
