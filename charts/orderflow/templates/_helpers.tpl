{{/*
Orderflow's own helpers. The generic ones (names, labels, the hardened pod, the per-service
objects) are in the orderflow-lib library chart.
*/}}

{{/*
The enabled services, each merged over serviceDefaults, as YAML: `fromYaml (include "orderflow.services" .)`.
The merge is the chart's own (orderflow.mergeInto), not sprig's mergeOverwrite, which skips a
`false`, `0` or `""` in the override: a service's `topologySpread: false`, `replicas: 0` or
`autoscaling.enabled: false` is what it gets. Fails when autoscaling's minReplicas is above its
maxReplicas once merged (values.schema.json cannot compare two values; see docs/kubernetes.md).
*/}}
{{- define "orderflow.services" -}}
{{- $out := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $merged := deepCopy $.Values.serviceDefaults -}}
{{- include "orderflow.mergeInto" (dict "dst" $merged "src" $svc) -}}
{{- $hpa := $merged.autoscaling -}}
{{- if and $hpa.enabled (gt (int $hpa.minReplicas) (int $hpa.maxReplicas)) -}}
{{- fail (printf "services.%s.autoscaling: minReplicas (%d) is above maxReplicas (%d), serviceDefaults.autoscaling merged in" $name (int $hpa.minReplicas) (int $hpa.maxReplicas)) -}}
{{- end -}}
{{- $_ := set $out $name $merged -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Deep merge of values, in place: every key of `src` over `dst`, maps merged key by key, anything
else (false, 0, "", lists) replacing what `dst` had. Renders nothing. (dict "dst" map "src" map)
*/}}
{{- define "orderflow.mergeInto" -}}
{{- $dst := .dst -}}
{{- range $key, $value := .src -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) -}}
{{- include "orderflow.mergeInto" (dict "dst" (get $dst $key) "src" $value) -}}
{{- else -}}
{{- $_ := set $dst $key (deepCopy $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Whether the release runs the official NATS chart. */}}
{{- define "orderflow.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s-nats.%s.svc:4222" .Release.Name .Release.Namespace -}}
{{- else -}}
{{- required "nats.url is required when nats.enabled is false" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{- define "orderflow.postgresql.fullname" -}}
{{- include "lib.componentName" (dict "ctx" . "name" "postgresql") -}}
{{- end -}}

{{/*
A value the chart generates when none is given: the one already in the cluster (kept across
upgrades), else a new random one. Remembered in .Values (under `_generated_<key>`, the given
key stays as the user set it) so every template of one render sees the same value.
(dict "ctx" $ "values" <map holding key> "key" "password" "secret" name "field" "POSTGRES_PASSWORD")
*/}}
{{- define "orderflow.generated" -}}
{{- $memo := printf "_generated_%s" .key -}}
{{- if get .values .key -}}
{{- get .values .key -}}
{{- else -}}
{{- if not (hasKey .values $memo) -}}
{{- $secret := lookup "v1" "Secret" .ctx.Release.Namespace .secret | default dict -}}
{{- $existing := dig "data" .field "" $secret -}}
{{- $_ := set .values $memo (ternary (b64dec $existing) (randAlphaNum 32) (ne $existing "")) -}}
{{- end -}}
{{- get .values $memo -}}
{{- end -}}
{{- end -}}

{{- define "orderflow.postgresql.password" -}}
{{- include "orderflow.generated" (dict "ctx" . "values" .Values.postgresql.auth "key" "password" "secret" (include "orderflow.postgresql.fullname" .) "field" "POSTGRES_PASSWORD") -}}
{{- end -}}

{{/* Whether the release creates the JWT_SECRETS Secret (no JWKS URL, no existing Secret). */}}
{{- define "orderflow.jwt.createSecret" -}}
{{- if and (not .Values.auth.jwksUrl) (not .Values.auth.existingSecret) }}true{{ end -}}
{{- end -}}

{{- define "orderflow.jwt.secretName" -}}
{{- .Values.auth.existingSecret | default (include "lib.componentName" (dict "ctx" . "name" "jwt")) -}}
{{- end -}}

{{- define "orderflow.jwt.secrets" -}}
{{- include "orderflow.generated" (dict "ctx" . "values" .Values.auth "key" "jwtSecrets" "secret" (include "orderflow.jwt.secretName" .) "field" "JWT_SECRETS") -}}
{{- end -}}

{{/*
Where a service's database is, one word: `url` (services.<name>.database.url), `secret`
(database.existingSecret), or the release's own PostgreSQL by postgresql.mode: `dev` or
`cloudnativepg`; empty for a service without a database. (dict "ctx" $ "svc" $svc)
*/}}
{{- define "orderflow.database.source" -}}
{{- $mode := include "orderflow.postgresql.mode" .ctx -}}
{{- if .svc.database.enabled -}}
{{- if .svc.database.url -}}
url
{{- else if .svc.database.existingSecret -}}
secret
{{- else if eq $mode "external" -}}
{{- fail "a service with a database needs services.<name>.database.url or database.existingSecret when postgresql.mode is external" -}}
{{- else -}}
{{- $mode -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* postgresql.mode, checked: dev, cloudnativepg or external. */}}
{{- define "orderflow.postgresql.mode" -}}
{{- $mode := .Values.postgresql.mode -}}
{{- if not (has $mode (list "dev" "cloudnativepg" "external")) -}}
{{- fail (printf "postgresql.mode must be dev, cloudnativepg or external, not %q" (toString $mode)) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}

{{/* Whether a database source is the release's own PostgreSQL: its Jobs then wait for it. */}}
{{- define "orderflow.database.inRelease" -}}
{{- if has . (list "dev" "cloudnativepg") }}true{{ end -}}
{{- end -}}

{{/* The CloudNativePG Cluster's name; the operator names its Services and Secrets after it. */}}
{{- define "orderflow.cnpg.cluster" -}}
{{- include "orderflow.postgresql.fullname" . -}}
{{- end -}}

{{/* The Secret holding a service's DATABASE_URL (not with CloudNativePG). (dict "ctx" $ "name" "order" "svc" $svc) */}}
{{- define "orderflow.database.secretName" -}}
{{- .svc.database.existingSecret | default (printf "%s-database" (include "lib.componentName" .)) -}}
{{- end -}}

{{/* postgres://… of a service's own database, for its Secret: `url` and `dev` sources. (dict "ctx" $ "name" "order" "svc" $svc) */}}
{{- define "orderflow.database.url" -}}
{{- if eq (include "orderflow.database.source" .) "dev" -}}
{{- $pg := .ctx.Values.postgresql -}}
{{- printf "postgres://%s:%s@%s:5432/%s" $pg.auth.username (include "orderflow.postgresql.password" .ctx) (include "orderflow.postgresql.fullname" .ctx) .name -}}
{{- else -}}
{{- .svc.database.url -}}
{{- end -}}
{{- end -}}

{{/*
A service's DATABASE_URL as container `env`, with CloudNativePG: the user and password of the
Secret `<cluster>-app` the operator generates (the owner of every service's database), put
together by Kubernetes ($(VAR) expansion) with the cluster's read-write Service and the service's
database. Empty otherwise (the URL then comes from a Secret: orderflow.envFrom). YAML list.
(dict "ctx" $ "name" "order" "svc" $svc)
*/}}
{{- define "orderflow.database.env" -}}
{{- if eq (include "orderflow.database.source" .) "cloudnativepg" -}}
{{- $cluster := include "orderflow.cnpg.cluster" .ctx -}}
- name: PGUSER
  valueFrom:
    secretKeyRef: { name: {{ printf "%s-app" $cluster }}, key: username }
- name: PGPASSWORD
  valueFrom:
    secretKeyRef: { name: {{ printf "%s-app" $cluster }}, key: password }
- name: DATABASE_URL
  value: {{ printf "postgres://$(PGUSER):$(PGPASSWORD)@%s-rw.%s.svc:5432/%s" $cluster .ctx.Release.Namespace .name | quote }}
{{- end -}}
{{- end -}}

{{/*
A service's ConfigMap data: `config`, then `rateLimits` (RATE_LIMIT_*) over it, then the service's
`env` over both, then what the chart derives (PORT, NATS_URL, SHUTDOWN_*, JWT_*) over all.
Empty values mean unset and are left out. (dict "ctx" $ "name" "order" "svc" $svc)
*/}}
{{- define "orderflow.config" -}}
{{- $v := .ctx.Values -}}
{{- $data := dict
  "PORT" (toString .svc.port)
  "NATS_URL" (include "orderflow.natsUrl" .ctx)
  "SHUTDOWN_DRAIN_DELAY_MS" (toString (mul (int .svc.shutdown.drainDelaySeconds) 1000))
  "SHUTDOWN_TIMEOUT_MS" (toString (mul (int .svc.shutdown.timeoutSeconds) 1000))
  "JWT_JWKS_URL" $v.auth.jwksUrl
  "JWT_ISSUER" $v.auth.issuer
  "JWT_AUDIENCE" $v.auth.audience
-}}
{{- $limits := dict
  "RATE_LIMIT_ENABLED" (toString $v.rateLimits.enabled)
  "RATE_LIMIT_READS_PER_MINUTE" (toString (int $v.rateLimits.readsPerMinute))
  "RATE_LIMIT_WRITES_PER_MINUTE" (toString (int $v.rateLimits.writesPerMinute))
  "RATE_LIMIT_ADMIN_PER_MINUTE" (toString (int $v.rateLimits.adminPerMinute))
-}}
{{- $data = merge $data (.svc.env | default dict) $limits $v.config -}}
{{- range $key, $value := $data }}
{{- if ne (toString $value) "" }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Where a service's environment comes from: its ConfigMap, the JWT Secret, its database Secret (CloudNativePG: orderflow.database.env). */}}
{{- define "orderflow.envFrom" -}}
- configMapRef:
    name: {{ include "lib.componentName" . }}
{{- if not .ctx.Values.auth.jwksUrl }}
- secretRef:
    name: {{ include "orderflow.jwt.secretName" .ctx }}
{{- end }}
{{- if has (include "orderflow.database.source" .) (list "url" "secret" "dev") }}
- secretRef:
    name: {{ include "orderflow.database.secretName" . }}
{{- end }}
{{- if .ctx.Values.nats.auth.enabled }}
- secretRef:
    name: {{ include "orderflow.nats.secretName" . }}
{{- end }}
{{- end -}}

{{/*
Rolls the pods when anything they read from the environment changes. (dict "ctx" $ "name" "order" "svc" $svc)
*/}}
{{- define "orderflow.checksum" -}}
{{- $secrets := list (include "orderflow.jwt.secretName" .ctx) .ctx.Values.auth.jwtSecrets -}}
{{- if .ctx.Values.nats.auth.enabled -}}
{{- $secrets = append $secrets (get .ctx.Values.nats.auth.passwords .name | default "") -}}
{{- end -}}
{{- if .svc.database.enabled -}}
{{- $secrets = append $secrets (include "orderflow.database.secretName" .) -}}
{{- $secrets = append $secrets .svc.database.url -}}
{{- $secrets = append $secrets (include "orderflow.database.env" .) -}}
{{- end -}}
{{- printf "%s\n%s" (include "orderflow.config" .) (join "\n" $secrets) | sha256sum -}}
{{- end -}}

{{/*
How a migrate or provision Job runs, by where its server is (docs/kubernetes.md, "Start order"):
outside the release, a `pre-install,pre-upgrade` hook (the server is there before the release,
and the services start on a migrated schema); the release's own PostgreSQL or NATS, an ordinary
Job of the release named per revision, started together with that server and the services, which
waits for its server (`--wait`) while the services wait for it. A hook would deadlock there under
`helm install --wait`: post-install hooks run only once the release is ready, and the services are
ready only once migrated. Returns the hook annotation, or nothing. (dict "inRelease" bool)
*/}}
{{- define "orderflow.job.hook" -}}
{{- if not .inRelease }}pre-install,pre-upgrade{{ end -}}
{{- end -}}

{{/*
Egress of a service or of the Jobs: DNS, NATS, and PostgreSQL — the release's own NATS /
PostgreSQL matched by their pod labels (the development server's, or the CloudNativePG cluster's
`cnpg.io/cluster`), external ones by port.
(dict "ctx" $ "postgres" "dev"|"cloudnativepg"|"" "externalPostgres" bool)
*/}}
{{- define "orderflow.networkPolicy.egress" -}}
{{- $v := .ctx.Values -}}
- ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
{{- if $v.nats.enabled }}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: nats
          app.kubernetes.io/instance: {{ .ctx.Release.Name }}
  ports:
    - { port: 4222, protocol: TCP }
{{- else }}
- ports:
    - { port: {{ $v.networkPolicy.natsPort }}, protocol: TCP }
{{- end }}
{{- if eq .postgres "dev" }}
- to:
    - podSelector:
        matchLabels:
          {{- include "lib.selectorLabels" (dict "ctx" .ctx "name" "postgresql") | nindent 10 }}
  ports:
    - { port: 5432, protocol: TCP }
{{- else if eq .postgres "cloudnativepg" }}
- to:
    - podSelector:
        matchLabels:
          cnpg.io/cluster: {{ include "orderflow.cnpg.cluster" .ctx }}
  ports:
    - { port: 5432, protocol: TCP }
{{- end }}
{{- if .externalPostgres }}
- ports:
    - { port: {{ $v.networkPolicy.postgresqlPort }}, protocol: TCP }
{{- end }}
{{- with $v.networkPolicy.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The port of the JWKS endpoint: networkPolicy.jwksEgress.port, else the one in auth.jwksUrl, else
443 for https and 80 for http.
*/}}
{{- define "orderflow.jwks.port" -}}
{{- $url := urlParse .Values.auth.jwksUrl -}}
{{- $explicit := regexFind ":[0-9]+$" $url.host | trimPrefix ":" -}}
{{- .Values.networkPolicy.jwksEgress.port | int | default ($explicit | default (ternary "443" "80" (eq $url.scheme "https"))) -}}
{{- end -}}

{{/* A service's egress rule to the JWKS endpoint, when auth.jwksUrl is set: signing-key fetches. */}}
{{- define "orderflow.networkPolicy.jwksEgress" -}}
{{- if .Values.auth.jwksUrl }}
- ports:
    - { port: {{ include "orderflow.jwks.port" . }}, protocol: TCP }
  {{- with .Values.networkPolicy.jwksEgress.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
What the one API host serves: each exposed service's `paths`, as YAML
`routes: [{ path, name, port }]` (`fromYaml (include "orderflow.routes" .)`). The Ingress and the
HTTPRoute both render from it.
*/}}
{{- define "orderflow.routes" -}}
{{- $routes := list -}}
{{- range $name, $svc := include "orderflow.services" . | fromYaml -}}
{{- if $svc.expose -}}
{{- range $svc.paths -}}
{{- $routes = append $routes (dict "path" . "name" $name "port" ($svc.port | int)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "routes" $routes) -}}
{{- end -}}

{{/*
NATS per service (nats.auth.enabled): every service connects as its own user, the hook Jobs that
declare streams and consumers as a `provision` user.
*/}}
{{- define "orderflow.nats.user" -}}
{{- include "lib.componentName" (dict "ctx" .ctx "name" .name) -}}
{{- end -}}

{{/* The Secret with a NATS user's NATS_USER and NATS_PASSWORD. (dict "ctx" $ "name" "order") */}}
{{- define "orderflow.nats.secretName" -}}
{{- printf "%s-nats" (include "lib.componentName" .) -}}
{{- end -}}

{{- define "orderflow.nats.password" -}}
{{- include "orderflow.generated" (dict "ctx" .ctx "values" .ctx.Values.nats.auth.passwords "key" .name "secret" (include "orderflow.nats.secretName" .) "field" "NATS_PASSWORD") -}}
{{- end -}}

{{/*
The platform's streams (libs/contracts Streams, then the dead-letter streams of libs/messaging);
a test compares them with the code. The first four are the domain streams.
*/}}
{{- define "orderflow.nats.streams" -}}
{{- toJson (list "ORDERS" "INVENTORY" "PAYMENTS" "FULFILLMENT" "DLQ" "DLQ_ADVISORIES") -}}
{{- end -}}

{{/*
A service's NATS permissions, as JSON. What a service does on the bus:
- publishes its outbox (services.<name>.nats.publish: its own events, the commands it sends) and
  dead letters (dlq.>: its runner's, and the copier's of any consumer — every service runs one);
- pulls from its durable consumers and from the dead-letter copier's (INFO, MSG.NEXT, acks), the
  copier declaring its consumer at start and reading the dead message from its domain stream;
- reads the dead-letter stream's depth; with the dead-letter API (nats.deadLetterApi) reads,
  deletes and purges dead letters;
- receives every reply and pulled message on _INBOX. It subscribes to nothing else: commands
  and events reach it through JetStream pulls, never as core subscriptions.
A replay of the dead-letter API republishes to the original subject, so it succeeds only for
subjects that service may publish (nats.publish, e.g. commands); see docs/kubernetes.md.
(dict "ctx" $ "name" "order" "svc" $svc)
*/}}
{{- define "orderflow.nats.permissions" -}}
{{- $cfg := include "orderflow.config" . | fromYaml -}}
{{- $ns := $cfg.NATS_NAMESPACE | default "" -}}
{{- $subj := ternary (printf "%s." $ns) "" (ne $ns "") -}}
{{- $str := ternary (printf "%s_" (upper $ns)) "" (ne $ns "") -}}
{{- $nats := .svc.nats | default dict -}}
{{- $pub := list "$JS.API.INFO" (printf "%sdlq.>" $subj) (printf "$JS.API.STREAM.INFO.%sDLQ" $str) -}}
{{- range $nats.publish -}}
{{- $pub = append $pub (printf "%s%s" $subj .) -}}
{{- end -}}
{{- $copier := dict "stream" "DLQ_ADVISORIES" "durable" "messaging-dlq-copier" -}}
{{- range append ($nats.consumers | default list) $copier -}}
{{- $at := printf "%s%s.%s" $str .stream .durable -}}
{{- $pub = concat $pub (list (printf "$JS.API.CONSUMER.INFO.%s" $at) (printf "$JS.API.CONSUMER.MSG.NEXT.%s" $at) (printf "$JS.ACK.%s.>" $at)) -}}
{{- end -}}
{{- $copierAt := printf "%sDLQ_ADVISORIES.messaging-dlq-copier" $str -}}
{{- $pub = concat $pub (list (printf "$JS.API.CONSUMER.CREATE.%s" $copierAt) (printf "$JS.API.CONSUMER.CREATE.%s.>" $copierAt) (printf "$JS.API.CONSUMER.DURABLE.CREATE.%s" $copierAt)) -}}
{{- range slice (include "orderflow.nats.streams" .ctx | fromJsonArray) 0 4 -}}
{{- $pub = append $pub (printf "$JS.API.STREAM.MSG.GET.%s%s" $str .) -}}
{{- end -}}
{{- if $nats.deadLetterApi -}}
{{- $dlq := printf "%sDLQ" $str -}}
{{- $pub = concat $pub (list (printf "$JS.API.STREAM.MSG.GET.%s" $dlq) (printf "$JS.API.DIRECT.GET.%s" $dlq) (printf "$JS.API.DIRECT.GET.%s.>" $dlq) (printf "$JS.API.STREAM.MSG.DELETE.%s" $dlq) (printf "$JS.API.STREAM.PURGE.%s" $dlq)) -}}
{{- end -}}
{{- toJson (dict "publish" (dict "allow" ($pub | uniq)) "subscribe" (dict "allow" (list "_INBOX.>"))) -}}
{{- end -}}

{{/* The provision user: declares every platform stream and any consumer on them, nothing else. */}}
{{- define "orderflow.nats.provisionPermissions" -}}
{{- $cfg := .Values.config -}}
{{- $ns := $cfg.NATS_NAMESPACE | default "" -}}
{{- $str := ternary (printf "%s_" (upper $ns)) "" (ne $ns "") -}}
{{- $pub := list "$JS.API.INFO" -}}
{{- range include "orderflow.nats.streams" . | fromJsonArray -}}
{{- $s := printf "%s%s" $str . -}}
{{- $pub = concat $pub (list (printf "$JS.API.STREAM.INFO.%s" $s) (printf "$JS.API.STREAM.CREATE.%s" $s) (printf "$JS.API.STREAM.UPDATE.%s" $s) (printf "$JS.API.CONSUMER.INFO.%s.>" $s) (printf "$JS.API.CONSUMER.CREATE.%s.>" $s) (printf "$JS.API.CONSUMER.DURABLE.CREATE.%s.>" $s)) -}}
{{- end -}}
{{- toJson (dict "publish" (dict "allow" $pub) "subscribe" (dict "allow" (list "_INBOX.>"))) -}}
{{- end -}}
