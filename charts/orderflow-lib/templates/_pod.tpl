{{/*
The hardened pod every Orderflow container runs in: non-root, read-only root filesystem with an
emptyDir on /tmp, no capabilities, no privilege escalation, seccomp RuntimeDefault. The image's
`node` user is uid 1000.
*/}}

{{- define "lib.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "lib.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The writable /tmp a read-only root filesystem needs; `lib.tmpVolumeMount` mounts it. */}}
{{- define "lib.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "lib.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}
