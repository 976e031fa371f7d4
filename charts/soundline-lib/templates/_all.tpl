{{/*
Every object of a Soundline service, in one include. A service chart's only
template is `{{ include "soundline-lib.all" . }}`.

The objects are rendered from the library's defaults ("soundline-lib.defaults") with the
chart's values merged over them: maps key by key, anything else (lists, scalars)
replaced. Helm has already merged the chart's values.yaml with -f/--set, so the order is
library defaults < chart values.yaml < values files < --set.
*/}}
{{- define "soundline-lib.all" -}}
{{- $values := mustMergeOverwrite (fromYaml (include "soundline-lib.defaults" .)) .Values -}}
{{- $ctx := dict "Values" $values "Release" .Release "Chart" .Chart "Capabilities" .Capabilities "Template" .Template "Files" .Files -}}
{{- $parts := list "soundline-lib.serviceaccount" "soundline-lib.configmap" "soundline-lib.service" "soundline-lib.deployment" "soundline-lib.hpa" "soundline-lib.pdb" "soundline-lib.networkpolicy" "soundline-lib.servicemonitor" -}}
{{- range $parts }}
{{- $out := include . $ctx | trim }}
{{- if $out }}
---
{{ $out }}
{{- end }}
{{- end }}
{{- end -}}
