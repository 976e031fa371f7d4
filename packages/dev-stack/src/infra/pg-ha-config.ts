// The configuration files of the local HA PostgreSQL (pg-ha.ts): one
// patroni.yml per node and the HAProxy configuration in front of them. Why
// Patroni and these settings: docs/high-availability.md.

export interface HaNodePorts {
  name: string
  /** PostgreSQL's port on 127.0.0.1. */
  pgPort: number
  /** Patroni's REST API (health checks, /cluster). */
  restPort: number
}

export interface HaSecrets {
  superuser: string
  replication: string
}

/** Patroni's loop and lock: the fastest values its validator accepts (loop_wait + 2 × retry_timeout ≤ ttl). */
export const PATRONI_TIMING = { ttl: 20, loopWait: 1, retryTimeout: 5 } as const

const json = (value: unknown): string => JSON.stringify(value)

/** patroni.yml for one node. YAML is a superset of JSON: every value is written as JSON, nothing needs escaping rules of its own. */
export function patroniConfig(options: {
  scope: string
  node: HaNodePorts
  etcdPort: number
  dataDir: string
  socketDir: string
  binDir: string
  secrets: HaSecrets
}): string {
  const { node, secrets } = options
  const config = {
    scope: options.scope,
    name: node.name,
    log: { level: 'WARNING', format: '%(asctime)s %(levelname)s: %(message)s' },
    restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
    etcd3: { hosts: [`127.0.0.1:${options.etcdPort}`] },
    bootstrap: {
      dcs: {
        ttl: PATRONI_TIMING.ttl,
        loop_wait: PATRONI_TIMING.loopWait,
        retry_timeout: PATRONI_TIMING.retryTimeout,
        // A crashed primary is failed over at once instead of being restarted in place for up to 5 min.
        primary_start_timeout: 0,
        maximum_lag_on_failover: 1_048_576,
        // At least one synchronous standby: a commit is acknowledged only once a standby has its WAL,
        // and only a synchronous standby may be promoted, so no acknowledged write is lost. Strict:
        // also right after a promotion, until the remaining replica follows the new primary (~2 s),
        // commits wait for it instead of being acknowledged by the new primary alone.
        synchronous_mode: true,
        synchronous_mode_strict: true,
        synchronous_node_count: 1,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            wal_log_hints: 'on',
            max_wal_senders: 10,
            max_replication_slots: 10,
            max_connections: 100,
            wal_keep_size: '64MB',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
    },
    postgresql: {
      listen: `127.0.0.1:${node.pgPort}`,
      connect_address: `127.0.0.1:${node.pgPort}`,
      data_dir: options.dataDir,
      bin_dir: options.binDir,
      pgpass: `${options.dataDir}.pgpass`,
      authentication: {
        superuser: { username: 'postgres', password: secrets.superuser },
        replication: { username: 'replicator', password: secrets.replication },
        rewind: { username: 'postgres', password: secrets.superuser },
      },
      pg_hba: ['local all all trust', 'host replication replicator 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256'],
      parameters: { unix_socket_directories: options.socketDir, password_encryption: 'scram-sha-256' },
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  }
  return `${json(config)}\n`
}

/**
 * HAProxy: the read-write port goes to whichever node answers Patroni's `/primary` with 200,
 * the read-only port round-robins over the nodes answering `/replica` (running, streaming,
 * not the primary). A node that stops being primary has its sessions cut at once
 * (`shutdown-sessions`), so no client keeps writing to a demoted server.
 */
export function haproxyConfig(options: { nodes: HaNodePorts[]; writePort: number; readPort: number; statsPort: number }): string {
  const servers = (extra: string): string[] =>
    options.nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} check port ${n.restPort}${extra}`)
  return [
    'global',
    '  maxconn 1000',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 1s',
    // Checked twice a second, down after 2 failures, up after 1: a new primary is routed to within ~1 s of its promotion.
    '  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 1',
    `listen stats`,
    '  mode http',
    `  bind 127.0.0.1:${options.statsPort}`,
    '  stats enable',
    '  stats uri /',
    'listen read-write',
    `  bind 127.0.0.1:${options.writePort}`,
    '  option httpchk OPTIONS /primary',
    '  http-check expect status 200',
    ...servers(' on-marked-down shutdown-sessions'),
    'listen read-only',
    `  bind 127.0.0.1:${options.readPort}`,
    '  balance roundrobin',
    // A replica more than 1 MB of WAL behind the primary (catching up after a rejoin) serves no reads.
    '  option httpchk OPTIONS /replica?lag=1MB',
    '  http-check expect status 200',
    ...servers(''),
    '',
  ].join('\n')
}
