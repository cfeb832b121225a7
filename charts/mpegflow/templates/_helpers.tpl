{{/*
Names. The full name is cut to 40 characters so that "<fullname>-<pool>" (pool names are at most
20) stays within 61, and KEDA's derived names ("keda-hpa-<name>", "<scaledjob>-<5 chars>") stay
valid DNS labels.
*/}}
{{- define "mpegflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "mpegflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mpegflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mpegflow.labels" -}}
helm.sh/chart: {{ include "mpegflow.chart" . }}
{{ include "mpegflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mpegflow
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "mpegflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mpegflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of the worker pods of every pool (NetworkPolicy, Service). */}}
{{- define "mpegflow.workerSelectorLabels" -}}
{{ include "mpegflow.selectorLabels" . }}
app.kubernetes.io/component: worker
{{- end -}}

{{/* ctx: dict root pool */}}
{{- define "mpegflow.poolSelectorLabels" -}}
{{ include "mpegflow.workerSelectorLabels" .root }}
mpegflow.io/pool: {{ .pool.name }}
{{- end -}}

{{- define "mpegflow.poolLabels" -}}
{{ include "mpegflow.labels" .root }}
app.kubernetes.io/component: worker
mpegflow.io/pool: {{ .pool.name }}
mpegflow.io/backend: {{ .pool.backend }}
{{- end -}}

{{- define "mpegflow.poolFullname" -}}
{{- printf "%s-%s" (include "mpegflow.fullname" .root) .pool.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mpegflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mpegflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The stream a pool's workers read: "<keyPrefix>queue:<pool>" (DESIGN section 5). */}}
{{- define "mpegflow.stream" -}}
{{- printf "%squeue:%s" .root.Values.redis.keyPrefix .pool.name -}}
{{- end -}}

{{/* Redis URL without the password (the password comes from a Secret as MPEGFLOW_REDIS_PASSWORD):
redis-sentinel://s1,s2/master/db with redis.sentinel, rediss:// with redis.tls, else redis://. */}}
{{- define "mpegflow.redisURL" -}}
{{- $r := .Values.redis -}}
{{- if $r.sentinel.enabled -}}
{{- if $r.tls.enabled -}}{{- fail "redis.sentinel.enabled with redis.tls.enabled: the worker does not combine Sentinel and TLS yet" -}}{{- end -}}
{{- if not $r.sentinel.addresses -}}{{- fail "redis.sentinel.addresses: at least one host:port with redis.sentinel.enabled" -}}{{- end -}}
{{- printf "redis-sentinel://%s/%s/%d" (join "," $r.sentinel.addresses) $r.sentinel.masterName (int $r.db) -}}
{{- else -}}
{{- printf "%s://%s:%d/%d" (ternary "rediss" "redis" $r.tls.enabled) $r.host (int $r.port) (int $r.db) -}}
{{- end -}}
{{- end -}}

{{- define "mpegflow.terminationGracePeriodSeconds" -}}
{{- add (int .Values.worker.drainTimeoutSeconds) (int .Values.worker.terminationGraceMarginSeconds) -}}
{{- end -}}

{{/*
mpegflow.pools: the pool list with poolDefaults applied, as YAML (a list under "pools").
A pool's key replaces the default's whole; hasKey keeps explicit zeros (minReplicas: 0).
Checks that helm's schema cannot express are made here, each failing with the value's path.
*/}}
{{- define "mpegflow.pools" -}}
{{- $root := . -}}
{{- $out := list -}}
{{- $seen := dict -}}
{{- range $i, $pool := .Values.pools -}}
{{- $p := dict -}}
{{- range $k, $v := $root.Values.poolDefaults }}{{ $_ := set $p $k $v }}{{ end -}}
{{- range $k, $v := $pool }}{{ $_ := set $p $k $v }}{{ end -}}
{{- if hasKey $seen $p.name -}}
{{- fail (printf "pools[%d].name: pool %q is listed twice" $i $p.name) -}}
{{- end -}}
{{- $_ := set $seen $p.name true -}}
{{- if eq $p.name "helm-test" -}}
{{- fail (printf "pools[%d].name: %q is reserved (the helm test objects are <fullname>-helm-test)" $i $p.name) -}}
{{- end -}}
{{- if and (eq $p.backend "nvenc") (lt (int $p.gpu) 1) -}}
{{- fail (printf "pools[%d] (%s): backend nvenc needs gpu >= 1" $i $p.name) -}}
{{- end -}}
{{- if lt (int $p.maxReplicas) (int $p.minReplicas) -}}
{{- fail (printf "pools[%d] (%s): maxReplicas (%d) is below minReplicas (%d)" $i $p.name (int $p.maxReplicas) (int $p.minReplicas)) -}}
{{- end -}}
{{- if and (eq $p.mode "job") (not $root.Values.keda.enabled) -}}
{{- fail (printf "pools[%d] (%s): mode job needs keda.enabled (it is a KEDA ScaledJob)" $i $p.name) -}}
{{- end -}}
{{- $out = append $out $p -}}
{{- end -}}
{{- toYaml (dict "pools" $out) -}}
{{- end -}}

{{/* ctx: dict root pool. The image reference of a pool. */}}
{{- define "mpegflow.image" -}}
{{- $base := ternary .root.Values.gpuImage .root.Values.image (gt (int .pool.gpu) 0) -}}
{{- $img := merge (dict) (.pool.image | default dict) $base -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Secret checks, shared by every template that reads credentials. */}}
{{- define "mpegflow.checkSecrets" -}}
{{- if and (ne .Values.storage.auth "none") (not .Values.storage.existingSecret) -}}
{{- fail (printf "storage.existingSecret: storage.auth is %q, so the credentials must come from an existing Secret" .Values.storage.auth) -}}
{{- end -}}
{{- end -}}
