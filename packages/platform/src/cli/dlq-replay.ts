#!/usr/bin/env node
// npm run dlq:replay -- <dead-letter topic>: republishes its messages to their
// source topics (docs/resilience.md "Replaying dead letters"). Reads
// KAFKA_BROKERS and DLQ_REPLAY_GROUP_ID (default dlq-replay) from the environment.
import { env, loadConfig } from '../config/env.js'
import { kafkaConfig } from '../config/common.js'
import { createKafka } from '../kafka/client.js'
import { replayDeadLetters } from '../kafka/dlq-replay.js'
import { createLogger } from '../logging/logger.js'

const topic = process.argv[2]
if (!topic || !topic.endsWith('.dlq')) {
  console.error('usage: npm run dlq:replay -- <topic>.dlq   (e.g. resource.uploaded.dlq)')
  process.exit(2)
}
const config = loadConfig({
  ...kafkaConfig(),
  DLQ_REPLAY_GROUP_ID: env.string({ default: 'dlq-replay' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
})
const logger = createLogger({ service: 'dlq-replay', level: config.LOG_LEVEL })
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'dlq-replay' }, logger)
try {
  const result = await replayDeadLetters({ kafka, topic, groupId: config.DLQ_REPLAY_GROUP_ID, logger })
  process.stdout.write(`${JSON.stringify({ topic, ...result })}\n`)
} catch (error) {
  logger.error({ err: error, topic }, 'replay failed')
  process.exitCode = 1
}
