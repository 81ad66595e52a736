{{/*
A service's Deployment. (dict "ctx" $ "name" "order" "svc" $svc "command" (list ...) "env" (list ...) "envFrom" (list ...) "checksum" "...")
- svc: the merged service settings (port, replicas, autoscaling, resources, probes, shutdown,
  podAnnotations, nodeSelector, tolerations, affinity).
- The probes use the paths every Orderflow service serves: startup and liveness `/livez` (the event
  loop turns), readiness `/readyz` (database and NATS reachable; 503 while draining).
- Shutdown: the kubelet first runs the preStop pause (endpoints stop sending traffic meanwhile), then
  sends SIGTERM; the service answers 503 on /readyz for the drain delay, closes, and exits within
  its timeout. The grace period covers all three plus a margin, so SIGKILL never cuts a drain.
*/}}
{{- define "lib.deployment" -}}
{{- $svc := .svc -}}
{{- $grace := add $svc.shutdown.preStopSeconds $svc.shutdown.drainDelaySeconds $svc.shutdown.timeoutSeconds 5 -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "lib.componentName" . }}
  labels:
    {{- include "lib.labels" . | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas | int }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "lib.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ .checksum }}
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "lib.componentName" . }}
      automountServiceAccountToken: false
      # No *_SERVICE_HOST/_PORT variables: the environment is exactly what the chart sets.
      enableServiceLinks: false
      {{- with .ctx.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $grace }}
      securityContext:
        {{- include "lib.podSecurityContext" . | nindent 8 }}
      containers:
        - name: {{ .name }}
          image: {{ include "lib.image" . }}
          imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
          command:
            {{- toYaml .command | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ $svc.port | int }}
              protocol: TCP
          {{- with .env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          envFrom:
            {{- toYaml .envFrom | nindent 12 }}
          startupProbe:
            httpGet:
              path: /livez
              port: http
            periodSeconds: {{ $svc.probes.startup.periodSeconds | int }}
            failureThreshold: {{ $svc.probes.startup.failureThreshold | int }}
            timeoutSeconds: {{ $svc.probes.startup.timeoutSeconds | int }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $svc.probes.readiness.periodSeconds | int }}
            failureThreshold: {{ $svc.probes.readiness.failureThreshold | int }}
            timeoutSeconds: {{ $svc.probes.readiness.timeoutSeconds | int }}
          livenessProbe:
            httpGet:
              path: /livez
              port: http
            periodSeconds: {{ $svc.probes.liveness.periodSeconds | int }}
            failureThreshold: {{ $svc.probes.liveness.failureThreshold | int }}
            timeoutSeconds: {{ $svc.probes.liveness.timeoutSeconds | int }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $svc.shutdown.preStopSeconds | int }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "lib.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            {{- include "lib.tmpVolumeMount" . | nindent 12 }}
      volumes:
        {{- include "lib.tmpVolume" . | nindent 8 }}
      {{- if $svc.topologySpread }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "lib.selectorLabels" . | nindent 14 }}
      {{- end }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
