{{/*
mpegflow.trigger: the KEDA redis-streams trigger of one pool. ctx: dict root pool target
No consumerGroup on purpose: KEDA then scales on XLEN (queued + in flight, since the worker
XDELs finished entries) with streamLength as the per-pod target. Activation is XLEN > 0.
*/}}
{{- define "mpegflow.trigger" -}}
{{- $v := .root.Values -}}
- type: redis-streams
  metadata:
    address: {{ printf "%s:%d" $v.redis.host (int $v.redis.port) | quote }}
    databaseIndex: {{ int $v.redis.db | quote }}
    stream: {{ include "mpegflow.stream" . | quote }}
    streamLength: {{ .target | quote }}
    enableTLS: "false"
  {{- if $v.redis.existingSecret }}
  authenticationRef:
    name: {{ include "mpegflow.fullname" .root }}-redis
  {{- end }}
{{- end -}}
