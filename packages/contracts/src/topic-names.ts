import { TOPICS } from './events.js'

/**
 * The pipeline's topics as one deployment names them. KAFKA_TOPIC_PREFIX
 * namespaces them on a shared cluster (and keeps parallel test runs on one
 * broker apart); retry and dead-letter topics follow (`<name>.retry`, `<name>.dlq`).
 */
export interface TopicNames {
  resourceUploaded: string
  resourceProcessed: string
  resourceDeleted: string
}

export function topicNames(prefix: string): TopicNames {
  return {
    resourceUploaded: `${prefix}${TOPICS.resourceUploaded}`,
    resourceProcessed: `${prefix}${TOPICS.resourceProcessed}`,
    resourceDeleted: `${prefix}${TOPICS.resourceDeleted}`,
  }
}
