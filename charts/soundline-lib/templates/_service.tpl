{{- define "soundline-lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "soundline-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "soundline-lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      {{- if and (eq .Values.service.type "NodePort") .Values.service.nodePort }}
      nodePort: {{ .Values.service.nodePort }}
      {{- end }}
{{- end -}}
