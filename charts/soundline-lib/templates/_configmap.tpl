{{- define "soundline-lib.configmap" -}}
{{- if .Values.config -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "soundline-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .Values.config }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}
{{- end -}}
