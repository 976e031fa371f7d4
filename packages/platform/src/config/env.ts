/**
 * Configuration from environment variables, validated once at start.
 *
 * A service declares a spec (one reader per variable); `loadConfig` reads them
 * all and throws one ConfigError that names every wrong variable and the form
 * it expects, so an operator fixes a deployment in one go.
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

/** Reads one variable; throws a plain Error with the expected form when wrong. */
export type EnvReader<T> = (raw: string | undefined, name: string) => T

export type ConfigSpec = Record<string, EnvReader<unknown>>
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: ReturnType<S[K]> }

export function loadConfig<S extends ConfigSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const problems: string[] = []
  const config: Record<string, unknown> = {}
  for (const [name, read] of Object.entries(spec)) {
    try {
      config[name] = read(env[name], name)
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return config as ConfigOf<S>
}

function present(raw: string | undefined): raw is string {
  return raw !== undefined && raw.trim() !== ''
}

function show(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)
}

export const env = {
  string(options: { default?: string; secret?: boolean } = {}): EnvReader<string> {
    return (raw) => {
      if (present(raw)) return raw.trim()
      if (options.default !== undefined) return options.default
      throw new Error('is required')
    }
  },

  optionalString(): EnvReader<string | undefined> {
    return (raw) => (present(raw) ? raw.trim() : undefined)
  },

  integer(options: { default?: number; min?: number; max?: number } = {}): EnvReader<number> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER
    const max = options.max ?? Number.MAX_SAFE_INTEGER
    return (raw) => {
      if (!present(raw)) {
        if (options.default !== undefined) return options.default
        throw new Error(`is required (an integer from ${min} to ${max})`)
      }
      const value = Number(raw.trim())
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        throw new Error(`must be an integer from ${min} to ${max}, got ${show(raw)}`)
      }
      return value
    }
  },

  port(defaultPort: number): EnvReader<number> {
    return env.integer({ default: defaultPort, min: 0, max: 65535 })
  },

  boolean(defaultValue: boolean): EnvReader<boolean> {
    return (raw) => {
      if (!present(raw)) return defaultValue
      const value = raw.trim().toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(value)) return true
      if (['false', '0', 'no', 'off'].includes(value)) return false
      throw new Error(`must be true or false, got ${show(raw)}`)
    }
  },

  oneOf<T extends string>(values: readonly T[], defaultValue: T): EnvReader<T> {
    return (raw) => {
      if (!present(raw)) return defaultValue
      const value = raw.trim()
      if ((values as readonly string[]).includes(value)) return value as T
      throw new Error(`must be one of ${values.join(', ')}, got ${show(raw)}`)
    }
  },

  url(options: { default?: string; protocols: string[] }): EnvReader<string> {
    return (raw) => {
      const value = present(raw) ? raw.trim() : options.default
      if (value === undefined) throw new Error(`is required (a ${options.protocols.join(' or ')} URL)`)
      let parsed: URL
      try {
        parsed = new URL(value)
      } catch {
        // Never echo the value: database URLs carry passwords.
        throw new Error(`must be a ${options.protocols.join(' or ')} URL`)
      }
      if (!options.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
        throw new Error(`must be a ${options.protocols.join(' or ')} URL, got protocol ${parsed.protocol}`)
      }
      return value
    }
  },

  /** A URL when set, undefined when not. */
  optionalUrl(options: { protocols: string[] }): EnvReader<string | undefined> {
    return (raw, name) => (present(raw) ? env.url(options)(raw, name) : undefined)
  },

  /**
   * A JSON value checked by `parse`, which returns the typed value or throws
   * an Error saying what is wrong (the message follows the variable's name).
   */
  json<T>(options: { default: T; parse: (value: unknown) => T; expected: string }): EnvReader<T> {
    return (raw) => {
      if (!present(raw)) return options.default
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        throw new Error(`must be JSON (${options.expected}), got ${show(raw)}`)
      }
      try {
        return options.parse(value)
      } catch (error) {
        throw new Error(`must be ${options.expected}: ${(error as Error).message}`, { cause: error })
      }
    }
  },

  /** Comma-separated host:port list, e.g. KAFKA_BROKERS=127.0.0.1:9092,kafka-1:9092 */
  hostPortList(defaultValue: string): EnvReader<string[]> {
    return (raw) => {
      const value = present(raw) ? raw.trim() : defaultValue
      const entries = value.split(',').map((entry) => entry.trim())
      for (const entry of entries) {
        if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(entry)) {
          throw new Error(`must be a comma-separated list of host:port, got ${show(value)}`)
        }
      }
      return entries
    }
  },
}
