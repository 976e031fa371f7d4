{{- /*
The values every Soundline service shares. A service chart's values.yaml holds only
what differs (image repository, ports, config, secrets, migrations, network policy);
"soundline-lib.all" merges it over these. Helm never merges a library chart's own
values.yaml into its parent, and the parent cannot read the library's files, so the
defaults live in a template.

Keep the body plain YAML (no template actions): k8s/test/charts.test.ts reads it to check
the defaults against service-values.schema.json, and the comments below are the values
reference (docs/kubernetes.md, "Values reference").
*/ -}}
{{- define "soundline-lib.defaults" -}}
nameOverride: ""
fullnameOverride: ""

image:
  # repository: set by every service chart
  registry: ""         # prefix of the repository, e.g. ghcr.io (values-staging.yaml)
  tag: ""              # defaults to the chart's appVersion; skaffold/Tilt set it
  pullPolicy: IfNotPresent
imagePullSecrets: []

replicas: 1            # ignored when autoscaling.enabled
# containerPort: set by every service chart

service:
  type: ClusterIP
  # port: set by every service chart
  nodePort: null

resources:
  requests:
    cpu: 50m
    memory: 128Mi
  limits:
    cpu: "1"
    memory: 384Mi

# Plain environment variables, rendered into a ConfigMap (merged key by key with the chart's).
config:
  LOG_LEVEL: info
# Environment variables from existing Secrets (k8s/charts/soundline-infra creates them on kind).
secretEnv: []
envFromSecrets: []
# Staging: the service's database is a CloudNativePG Cluster (docs/high-availability.md,
# "Kubernetes"). With name set, DATABASE_URL names the Cluster's -rw Service (the primary) and
# DATABASE_READ_URL its -ro Service (the replicas), both with the owner's credentials from the
# operator's Secret <name>-app, in the service and its migrate init container; secretEnv must
# then not set DATABASE_URL. Empty (kind): DATABASE_URL comes from secretEnv.
postgresCluster:
  name: ""
  database: ""
envFromConfigMaps: []
extraEnv: []

# The project's migrator (node packages/platform/dist/cli/migrate.js, same image as the
# service, MIGRATIONS_DIR=prisma/<database>/migrations) in an init container, so no pod
# serves before its migrations (docs/kubernetes.md, "Migrations"). No Prisma engine is
# needed. A service with a database sets enabled: true and database.
migrations:
  enabled: false
  resources:
    requests:
      cpu: 50m
      memory: 128Mi
    limits:
      cpu: 500m
      memory: 256Mi

# Deny by default; each chart names who may call it and what it may reach.
networkPolicy:
  enabled: true
  ingress:
    allowExternal: false   # true: anyone may call the HTTP port (the public entry point)
    fromApps: []
    prometheus:
      enabled: true
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app.kubernetes.io/name: prometheus
  egress:
    dns: true
    toApps: []             # [{name: <service>, port: <port>}]
    rules: []              # raw NetworkPolicyEgressRule objects (databases, Kafka, S3)
    # Named rule lists defined once per environment (charts/values-staging.yaml: the
    # managed PostgreSQL, Kafka, S3), and the names of those this service reaches.
    targets: {}
    uses: []

probes:
  # Until the first success (migrations at start, broker connection): up to 2 minutes.
  startup:
    path: /health/live
    periodSeconds: 2
    timeoutSeconds: 2
    failureThreshold: 60
  liveness:
    path: /health/live
    periodSeconds: 10
    timeoutSeconds: 2
    failureThreshold: 3
  # 503 while a hard dependency is down: the pod leaves the Service endpoints.
  readiness:
    path: /health/ready
    periodSeconds: 5
    timeoutSeconds: 3
    failureThreshold: 2

autoscaling:
  enabled: false
  minReplicas: 1
  maxReplicas: 4
  targetCPUUtilizationPercentage: 75
  targetMemoryUtilizationPercentage: null

podDisruptionBudget:
  enabled: true
  minAvailable: null       # when set, used instead of maxUnavailable
  maxUnavailable: 1

serviceMonitor:
  # Rendered only where the cluster serves monitoring.coreos.com/v1 (the Prometheus
  # operator's CRDs are installed), so the chart installs on a cluster without them.
  enabled: true
  # true: render it even when Helm cannot see that API (`helm template` without
  # --api-versions, tools that render offline); the install then needs the CRDs.
  force: false
  # kube-prometheus-stack selects ServiceMonitors labelled release=<its release name>.
  labels:
    release: kube-prometheus-stack
  path: /metrics
  interval: 15s
  scrapeTimeout: 10s

serviceAccount:
  create: true
  name: ""
  automountToken: false
  annotations: {}

podSecurityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile:
    type: RuntimeDefault

securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  privileged: false
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault

tmpSizeLimit: 64Mi
terminationGracePeriodSeconds: 30
# Rolling updates without failed requests (docs/kubernetes.md): once the pod is marked
# terminating, wait before SIGTERM so that kube-proxy has dropped it from the Service,
# then drain (still serving; every answer closes its connection) before closing.
shutdown:
  preStopSleepSeconds: 5
  drainSeconds: 3
podAnnotations: {}
podLabels: {}
nodeSelector: {}
tolerations: []
affinity: {}
topologySpreadConstraints: []
spreadOverNodes: false   # true: spread this chart's pods over nodes (staging)
{{- end -}}
