// The embedded infrastructure of `npm start`, for the programs that run it
// their own way (test-env, bench, drills): one broker, database server and S3
// server implementation, whoever starts them.
export { startKafka, ensureKafkaJars, KAFKA_VERSION, type KafkaBrokerOptions, type RunningKafka } from './kafka.js'
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedDatabase } from './postgres.js'
export { startEmbeddedS3, DEFAULT_S3_PORT } from './s3.js'
export { freePort, freePorts, isPortFree, assertPortsFree } from './ports.js'
export { startRedisCluster, type RedisClusterOptions, type RunningRedisCluster, type ClusterNode } from './redis-cluster.js'
export { startPgHa, ensureHaInstalled, haInstalled, type PgHaCluster, type HaMember } from './pg-ha.js'
