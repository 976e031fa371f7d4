{{- define "soundline-lib.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "soundline-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable) }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "soundline-lib.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}
