import type { FastifyBaseLogger } from 'fastify'
import { pino, stdTimeFunctions, type LoggerOptions, type Logger as PinoLogger } from 'pino'

/**
 * The logger platform code accepts: pino's API as Fastify exposes it on
 * `app.log`. A pino logger is one too, so library code takes either without casts.
 */
export type Logger = FastifyBaseLogger

/**
 * Paths that must never reach a log line. Tokens and passwords travel in
 * headers and bodies; pino replaces them before serialising.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secretAccessKey',
  '*.accessToken',
  '*.refreshToken',
  '*.connectionString',
]

export interface LoggerConfig {
  service: string
  level: string
}

export function loggerOptions(config: LoggerConfig): LoggerOptions {
  return {
    level: config.level,
    base: { service: config.service },
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  }
}

export function createLogger(config: LoggerConfig): PinoLogger {
  return pino(loggerOptions(config))
}
