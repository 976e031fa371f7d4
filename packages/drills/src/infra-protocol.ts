/** The line infra-child prints once its databases and S3 server listen, followed by JSON. */
export const INFRA_READY_PREFIX = 'DRILL-INFRA-READY '

export interface InfraUrls {
  databaseUrls: Record<string, string>
  s3Endpoint: string
}
