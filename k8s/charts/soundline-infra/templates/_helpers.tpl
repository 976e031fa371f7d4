{{- define "infra.labels" -}}
app.kubernetes.io/part-of: soundline
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /*
Who uses what, from the service registry (files/services.json is a link to
packages/registry/services.json, the one place that names every service): a new
service's database, Kafka and S3 access follow from its registry entry.
*/ -}}
{{- define "infra.registry" -}}
{{- .Files.Get "files/services.json" | fromJson | toJson -}}
{{- end -}}

{{- /* database name -> the service (app.kubernetes.io/name) that owns it, as JSON. */ -}}
{{- define "infra.databases" -}}
{{- $owners := dict -}}
{{- range (include "infra.registry" . | fromJson).services -}}
{{- if .database }}{{- $_ := set $owners .database.name .name -}}{{- end -}}
{{- end -}}
{{- toJson $owners -}}
{{- end -}}

{{- /* The services that produce or consume a topic, as a JSON list. */ -}}
{{- define "infra.kafkaClients" -}}
{{- $clients := list -}}
{{- range (include "infra.registry" . | fromJson).services -}}
{{- if or .produces .consumes }}{{- $clients = append $clients .name -}}{{- end -}}
{{- end -}}
{{- toJson $clients -}}
{{- end -}}

{{- /* The services with S3 access, as a JSON list. */ -}}
{{- define "infra.s3Clients" -}}
{{- $clients := list -}}
{{- range (include "infra.registry" . | fromJson).services -}}
{{- if .s3 }}{{- $clients = append $clients .name -}}{{- end -}}
{{- end -}}
{{- toJson $clients -}}
{{- end -}}

{{- /* A container's securityContext: non-root uid, read-only root filesystem, nothing added. */ -}}
{{- define "infra.hardened" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}
