{{/*
Every object of a Soundline service, in one include. A service chart's only
template is `{{ include "soundline-lib.all" . }}`.
*/}}
{{- define "soundline-lib.all" -}}
{{- $parts := list "soundline-lib.serviceaccount" "soundline-lib.configmap" "soundline-lib.service" "soundline-lib.deployment" "soundline-lib.hpa" "soundline-lib.pdb" "soundline-lib.networkpolicy" "soundline-lib.servicemonitor" -}}
{{- range $parts }}
{{- $out := include . $ | trim }}
{{- if $out }}
---
{{ $out }}
{{- end }}
{{- end }}
{{- end -}}
