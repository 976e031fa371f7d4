/** The name in logs, metrics, Kafka client ids and the CloudEvents source. */
export const SERVICE_NAME = 'resource-service'
