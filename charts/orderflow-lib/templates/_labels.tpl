{{/*
Labels, as the Kubernetes recommended labels. Selector labels are small and never change (a
Deployment's selector is immutable): name, instance, component. The full set adds what changes.
*/}}

{{/* (dict "ctx" $ "name" "order") */}}
{{- define "lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lib.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* (dict "ctx" $ "name" "order") */}}
{{- define "lib.labels" -}}
{{ include "lib.selectorLabels" . }}
app.kubernetes.io/part-of: {{ include "lib.name" .ctx }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Every pod of the release (NetworkPolicy's default deny). (dict "ctx" $) */}}
{{- define "lib.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "lib.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}
