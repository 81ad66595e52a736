{{/*
The small per-service objects. Each takes (dict "ctx" $ "name" "order" "svc" $svc).
*/}}

{{/* ClusterIP Service on the service's port, named `http`. */}}
{{- define "lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "lib.componentName" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "lib.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .svc.port | int }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* autoscaling/v2 on CPU and memory utilisation; scale-down waits out a stabilisation window. */}}
{{- define "lib.hpa" -}}
{{- $hpa := .svc.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "lib.componentName" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "lib.componentName" . }}
  minReplicas: {{ $hpa.minReplicas | int }}
  maxReplicas: {{ $hpa.maxReplicas | int }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $hpa.cpuUtilization | int }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $hpa.memoryUtilization | int }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: {{ $hpa.scaleDownStabilizationSeconds | int }}
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
    scaleUp:
      stabilizationWindowSeconds: 0
      policies:
        - type: Percent
          value: 100
          periodSeconds: 30
{{- end -}}

{{/* At most one pod of the service down at a time for voluntary disruptions (drains, upgrades). */}}
{{- define "lib.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "lib.componentName" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .svc.pdb.maxUnavailable }}
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "lib.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* One identity per service; no API token mounted (the services never call the Kubernetes API). */}}
{{- define "lib.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "lib.componentName" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{/*
A Job running one command of a service's image in the hardened pod.
(dict "ctx" $ "name" "order" "job" "migrate" "svc" $svc "hook" "pre-install,pre-upgrade"
      "weight" 0 "command" (list ...) "env" (list ...) "envFrom" (list ...))
- With `hook`: a Helm hook Job named `<release>-<name>-<job>`, replaced at each run
  (before-hook-creation) and deleted once it succeeded.
- Without: an ordinary release object named per release revision, `<release>-<name>-<job>-r<N>`:
  a Job's pod template cannot be changed, so each install and upgrade creates a new Job (with the
  new image) and Helm deletes the previous revision's; it runs alongside the release's other
  objects, and finished Jobs are removed after `ttlSecondsAfterFinished`.
The pod carries component `<name>-<job>` (not selected by the service's Deployment) and the label
`orderflow.io/job`, which the chart's NetworkPolicy for Jobs selects.
*/}}
{{- define "lib.job" -}}
{{- $component := dict "ctx" .ctx "name" (printf "%s-%s" .name .job) -}}
{{- $jobs := .ctx.Values.jobs -}}
{{- $name := include "lib.componentName" $component -}}
{{- if not .hook -}}
{{- $suffix := printf "-r%d" (int .ctx.Release.Revision) -}}
{{- $name = printf "%s%s" ($name | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}
  labels:
    {{- include "lib.labels" $component | nindent 4 }}
  {{- if .hook }}
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
  {{- end }}
spec:
  backoffLimit: {{ $jobs.backoffLimit | int }}
  activeDeadlineSeconds: {{ $jobs.activeDeadlineSeconds | int }}
  ttlSecondsAfterFinished: {{ $jobs.ttlSecondsAfterFinished | int }}
  template:
    metadata:
      labels:
        {{- include "lib.labels" $component | nindent 8 }}
        orderflow.io/job: {{ .job }}
    spec:
      restartPolicy: Never
      # The namespace's default account: the service's own ServiceAccount is a release object and
      # does not exist yet when a pre-install hook runs.
      automountServiceAccountToken: false
      # No *_SERVICE_HOST/_PORT variables: the environment is exactly what the chart sets.
      enableServiceLinks: false
      {{- with .ctx.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      securityContext:
        {{- include "lib.podSecurityContext" . | nindent 8 }}
      containers:
        - name: {{ .job }}
          image: {{ include "lib.image" . }}
          imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
          command:
            {{- toYaml .command | nindent 12 }}
          {{- with .env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $jobs.resources | nindent 12 }}
          securityContext:
            {{- include "lib.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "lib.tmpVolumeMount" . | nindent 12 }}
      volumes:
        {{- include "lib.tmpVolume" . | nindent 8 }}
{{- end -}}
