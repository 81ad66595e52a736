{{/*
Names. Kubernetes names are at most 63 characters (DNS labels), so everything is truncated there.
*/}}

{{/* The chart's name, overridable with nameOverride. */}}
{{- define "lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's prefix for every object: the release name alone when it already contains the
chart's name (`helm install orderflow` → `orderflow`), otherwise `<release>-<chart>`.
*/}}
{{- define "lib.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "lib.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* One component's objects: `<fullname>-<name>`, e.g. `orderflow-order`. (dict "ctx" $ "name" "order") */}}
{{- define "lib.componentName" -}}
{{- printf "%s-%s" (include "lib.fullname" .ctx) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The image reference of a service: its own repository/tag, else `<image.repository>/<name>:<image.tag or appVersion>`. */}}
{{- define "lib.image" -}}
{{- $img := .svc.image | default dict -}}
{{- $repo := $img.repository | default (printf "%s/%s" .ctx.Values.image.repository .name) -}}
{{- $tag := $img.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
