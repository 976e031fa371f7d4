{{- /*
Only where the cluster serves the Prometheus operator's API (its CRDs are installed), or
when serviceMonitor.force says so: without the CRD, `helm install` would fail with
`no matches for kind "ServiceMonitor"` (docs/kubernetes.md, "Observability").
*/ -}}
{{- define "soundline-lib.servicemonitor" -}}
{{- $apiServed := .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" -}}
{{- if and .Values.serviceMonitor.enabled (or $apiServed .Values.serviceMonitor.force) -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "soundline-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
    {{- /* The label Prometheus selects ServiceMonitors by (kube-prometheus-stack: release=<its release>). */}}
    {{- with .Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "soundline-lib.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  endpoints:
    - port: http
      # The services label their metrics service=<name> themselves; keep that label
      # (instead of exported_service) so dashboards read the same here and locally.
      honorLabels: true
      path: {{ .Values.serviceMonitor.path }}
      interval: {{ .Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
{{- end -}}
{{- end -}}
