import { TOPICS } from '@soundline/platform'

/**
 * The topics this service uses. KAFKA_TOPIC_PREFIX namespaces them on a
 * shared cluster (and keeps parallel test runs on one broker apart).
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
