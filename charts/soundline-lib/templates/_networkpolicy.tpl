{{- define "soundline-lib.networkpolicy" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $np := .Values.networkPolicy -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "soundline-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "soundline-lib.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    {{- if $np.ingress.allowExternal }}
    # Public entry point: anyone may call the HTTP port.
    - ports:
        - port: http
          protocol: TCP
    {{- else }}
    {{- if $np.ingress.fromApps }}
    # Only the services that call this one.
    - from:
        {{- range $np.ingress.fromApps }}
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ . }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    {{- with $np.ingress.from }}
    - from:
        {{- toYaml . | nindent 8 }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    {{- if $np.ingress.prometheus.enabled }}
    # Prometheus scrapes /metrics.
    - from:
        - namespaceSelector:
            {{- toYaml $np.ingress.prometheus.namespaceSelector | nindent 12 }}
          podSelector:
            {{- toYaml $np.ingress.prometheus.podSelector | nindent 12 }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    {{- end }}
  egress:
    {{- if $np.egress.dns }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    {{- end }}
    {{- range $np.egress.toApps }}
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ .name }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
    {{- with $np.egress.rules }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- range $np.egress.uses }}
    {{- $target := index $np.egress.targets . }}
    {{- if not $target }}{{ fail (printf "networkPolicy.egress.uses names %q, which networkPolicy.egress.targets does not define" .) }}{{ end }}
    # {{ . }}
    {{- toYaml $target | nindent 4 }}
    {{- end }}
{{- end -}}
{{- end -}}
