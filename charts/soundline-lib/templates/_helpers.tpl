{{/* Name of the chart (the service): nameOverride or the chart name. */}}
{{- define "soundline-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: fullnameOverride, else the release name when it already contains the
service name (`helm install song-service charts/song-service` -> song-service),
else <release>-<service>.
*/}}
{{- define "soundline-lib.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "soundline-lib.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "soundline-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "soundline-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "soundline-lib.labels" -}}
{{ include "soundline-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | toString | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: service
app.kubernetes.io/part-of: soundline
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* [registry/]repository:tag, tag defaulting to the chart's appVersion; a digest wins over the tag. */}}
{{- define "soundline-lib.imageRef" -}}
{{- $image := index . 0 -}}
{{- $root := index . 1 -}}
{{- $repository := $image.repository -}}
{{- with $image.registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}{{ end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository ((default $root.Chart.AppVersion $image.tag) | toString) -}}
{{- end -}}
{{- end -}}

{{- define "soundline-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "soundline-lib.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the service container and the migration init container. */}}
{{- define "soundline-lib.secretEnv" -}}
{{- with .Values.postgresCluster }}{{ if .name }}
{{- range $.Values.secretEnv }}
{{- if eq .name "DATABASE_URL" }}{{ fail "postgresCluster.name sets DATABASE_URL: remove it from secretEnv" }}{{ end }}
{{- end }}
{{- $secret := printf "%s-app" .name }}
# The Cluster's owner (CloudNativePG generates a password of letters and digits: nothing to
# escape in a URL); Kubernetes expands $(DATABASE_USER) and $(DATABASE_PASSWORD) in the URLs.
- name: DATABASE_USER
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: username
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: password
- name: DATABASE_URL
  value: {{ printf "postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@%s-rw:5432/%s" .name .database | quote }}
- name: DATABASE_READ_URL
  value: {{ printf "postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@%s-ro:5432/%s" .name .database | quote }}
{{- end }}{{ end }}
{{- range .Values.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
      {{- if hasKey . "optional" }}
      optional: {{ .optional }}
      {{- end }}
{{- end }}
{{- end -}}
