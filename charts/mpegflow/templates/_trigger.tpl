{{/*
mpegflow.trigger: the KEDA redis-streams trigger of one pool. ctx: dict root pool target
No consumerGroup on purpose: KEDA then scales on XLEN (queued + in flight, since the worker
XDELs finished entries) with streamLength as the per-pod target. Activation is XLEN > 0.
*/}}
{{- define "mpegflow.trigger" -}}
{{- $v := .root.Values -}}
{{- $tls := $v.redis.tls -}}
{{- if $v.redis.sentinel.enabled }}
- type: redis-sentinel-streams
  metadata:
    addresses: {{ join "," $v.redis.sentinel.addresses | quote }}
    sentinelMaster: {{ $v.redis.sentinel.masterName | quote }}
{{- else }}
- type: redis-streams
  metadata:
    address: {{ printf "%s:%d" $v.redis.host (int $v.redis.port) | quote }}
{{- end }}
    databaseIndex: {{ int $v.redis.db | quote }}
    stream: {{ include "mpegflow.stream" . | quote }}
    streamLength: {{ .target | quote }}
    enableTLS: {{ ternary "true" "false" $tls.enabled | quote }}
    {{- if and $tls.enabled $tls.insecureSkipVerify }}
    unsafeSsl: "true"
    {{- end }}
    {{- with $v.redis.username }}
    username: {{ . | quote }}
    {{- end }}
  {{- if include "mpegflow.triggerAuth" .root }}
  authenticationRef:
    name: {{ include "mpegflow.fullname" .root }}-redis
  {{- end }}
{{- end -}}

{{/* Non-empty when KEDA needs a TriggerAuthentication: a password, or TLS files from Secrets. */}}
{{- define "mpegflow.triggerAuth" -}}
{{- $r := .Values.redis -}}
{{- if or $r.existingSecret (and $r.tls.enabled (or $r.tls.caSecret $r.tls.clientCertSecret)) }}yes{{ end -}}
{{- end -}}
