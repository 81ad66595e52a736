{{/*
Orderflow's own helpers. The generic ones (names, labels, the hardened pod, the per-service
objects) are in the orderflow-lib library chart.
*/}}

{{/*
The enabled services, each merged over serviceDefaults, as YAML: `fromYaml (include "orderflow.services" .)`.
Helm's merge drops a `false` override, so autoscaling.enabled is copied explicitly.
*/}}
{{- define "orderflow.services" -}}
{{- $out := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $merged := mergeOverwrite (deepCopy $.Values.serviceDefaults) (deepCopy $svc) -}}
{{- if hasKey ($svc.autoscaling | default dict) "enabled" -}}
{{- $_ := set $merged.autoscaling "enabled" $svc.autoscaling.enabled -}}
{{- end -}}
{{- $_ := set $out $name $merged -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
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

{{/* Whether a service's DATABASE_URL points at the development PostgreSQL. (dict "ctx" $ "svc" $svc) */}}
{{- define "orderflow.database.usesDevPostgres" -}}
{{- if and .svc.database.enabled (not .svc.database.url) (not .svc.database.existingSecret) -}}
{{- if not .ctx.Values.postgresql.enabled -}}
{{- fail "a service with a database needs services.<name>.database.url, database.existingSecret or postgresql.enabled" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{/* The Secret holding a service's DATABASE_URL. (dict "ctx" $ "name" "order" "svc" $svc) */}}
{{- define "orderflow.database.secretName" -}}
{{- .svc.database.existingSecret | default (printf "%s-database" (include "lib.componentName" .)) -}}
{{- end -}}

{{/* postgres://… of a service's own database. (dict "ctx" $ "name" "order" "svc" $svc) */}}
{{- define "orderflow.database.url" -}}
{{- if include "orderflow.database.usesDevPostgres" . -}}
{{- $pg := .ctx.Values.postgresql -}}
{{- printf "postgres://%s:%s@%s:5432/%s" $pg.auth.username (include "orderflow.postgresql.password" .ctx) (include "orderflow.postgresql.fullname" .ctx) .name -}}
{{- else -}}
{{- .svc.database.url -}}
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

{{/* Where a service's environment comes from: its ConfigMap, the JWT Secret, its database Secret. */}}
{{- define "orderflow.envFrom" -}}
- configMapRef:
    name: {{ include "lib.componentName" . }}
{{- if not .ctx.Values.auth.jwksUrl }}
- secretRef:
    name: {{ include "orderflow.jwt.secretName" .ctx }}
{{- end }}
{{- if .svc.database.enabled }}
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
{{- end -}}
{{- printf "%s\n%s" (include "orderflow.config" .) (join "\n" $secrets) | sha256sum -}}
{{- end -}}

{{/*
When a hook Job runs: before the release's objects when what it needs is outside the release,
after them (post-install) when it needs the NATS or PostgreSQL this release installs.
(dict "inRelease" bool)
*/}}
{{- define "orderflow.hookPhase" -}}
{{- ternary "post-install,pre-upgrade" "pre-install,pre-upgrade" .inRelease -}}
{{- end -}}

{{/*
Egress of a service or of the hook Jobs: DNS, NATS, and PostgreSQL — the release's own
NATS / PostgreSQL matched by their pod labels, external ones by port.
(dict "ctx" $ "devPostgres" bool "externalPostgres" bool)
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
{{- if .devPostgres }}
- to:
    - podSelector:
        matchLabels:
          {{- include "lib.selectorLabels" (dict "ctx" .ctx "name" "postgresql") | nindent 10 }}
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
