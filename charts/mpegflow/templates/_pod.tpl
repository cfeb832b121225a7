{{/*
mpegflow.podTemplate: the pod template of one pool, shared by the Deployment and the ScaledJob.
ctx: dict root pool args
*/}}
{{- define "mpegflow.podTemplate" -}}
{{- $root := .root -}}
{{- $pool := .pool -}}
{{- $v := $root.Values -}}
{{- $gpu := int $pool.gpu -}}
{{- $ctx := dict "root" $root "pool" $pool -}}
metadata:
  labels:
    {{- include "mpegflow.poolSelectorLabels" $ctx | nindent 4 }}
    app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
    mpegflow.io/backend: {{ $pool.backend }}
    {{- with $pool.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ toYaml (list $pool $v.redis $v.storage $v.worker $v.gpu) | sha256sum }}
    {{- if eq $pool.mode "job" }}
    # A Job pod holds one long encode: the cluster autoscaler must not evict it to pack nodes.
    cluster-autoscaler.kubernetes.io/safe-to-evict: "false"
    {{- end }}
    {{- with $pool.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "mpegflow.serviceAccountName" $root }}
  # The worker talks to no Kubernetes API.
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- if eq $pool.mode "job" }}
  restartPolicy: Never
  {{- end }}
  # The worker drains on SIGTERM (DRAIN_TIMEOUT) and needs a margin to hand jobs back; no preStop.
  terminationGracePeriodSeconds: {{ include "mpegflow.terminationGracePeriodSeconds" $root }}
  {{- with $pool.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- $runtimeClass := $pool.runtimeClassName | default (ternary $v.gpu.runtimeClassName "" (gt $gpu 0)) }}
  {{- with $runtimeClass }}
  runtimeClassName: {{ . }}
  {{- end }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: {{ int $v.securityContext.runAsUser }}
    runAsGroup: {{ int $v.securityContext.runAsGroup }}
    fsGroup: {{ int $v.securityContext.fsGroup }}
    fsGroupChangePolicy: OnRootMismatch
    seccompProfile:
      type: RuntimeDefault
  {{- $nodeSelector := $pool.nodeSelector | default dict }}
  {{- if gt $gpu 0 }}
  {{- $nodeSelector = merge (deepCopy $nodeSelector) ($v.gpu.nodeSelector | default dict) }}
  {{- end }}
  {{- with $nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $tolerations := $pool.tolerations | default list }}
  {{- if gt $gpu 0 }}
  {{- $tolerations = concat ($v.gpu.tolerations | default list) $tolerations }}
  {{- end }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pool.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pool.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: worker
      image: {{ include "mpegflow.image" $ctx | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      envFrom:
        - configMapRef:
            name: {{ include "mpegflow.poolFullname" $ctx }}
      env:
        {{- if $v.redis.existingSecret }}
        - name: MPEGFLOW_REDIS_PASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ $v.redis.existingSecret }}
              key: {{ $v.redis.passwordKey }}
        {{- end }}
        {{- if eq $v.storage.auth "bearer" }}
        - name: MPEGFLOW_STORAGE_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ $v.storage.existingSecret }}
              key: {{ $v.storage.tokenKey }}
        {{- else if eq $v.storage.auth "sigv4" }}
        - name: AWS_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: {{ $v.storage.existingSecret }}
              key: {{ $v.storage.accessKeyIdKey }}
        - name: AWS_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: {{ $v.storage.existingSecret }}
              key: {{ $v.storage.secretAccessKeyKey }}
        {{- end }}
        # Consumer name = pod name + pid (DESIGN section 5); the worker reads the host name.
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        {{- with $v.worker.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $pool.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http-metrics
          containerPort: {{ int $v.worker.httpPort }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: http-metrics
        periodSeconds: {{ int $v.probes.livenessPeriodSeconds }}
        timeoutSeconds: {{ int $v.probes.livenessTimeoutSeconds }}
        failureThreshold: {{ int $v.probes.livenessFailureThreshold }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http-metrics
        periodSeconds: {{ int $v.probes.readinessPeriodSeconds }}
        timeoutSeconds: {{ int $v.probes.readinessTimeoutSeconds }}
        failureThreshold: {{ int $v.probes.readinessFailureThreshold }}
      {{- $resources := deepCopy ($pool.resources | default dict) }}
      {{- if gt $gpu 0 }}
      {{- $limits := $resources.limits | default dict }}
      {{- $_ := set $limits "nvidia.com/gpu" $gpu }}
      {{- $_ := set $resources "limits" $limits }}
      {{- end }}
      {{- with $resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ int $v.securityContext.runAsUser }}
        runAsGroup: {{ int $v.securityContext.runAsGroup }}
        allowPrivilegeEscalation: false
        privileged: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
      volumeMounts:
        - name: scratch
          mountPath: {{ $v.worker.scratchDir }}
        - name: tmp
          mountPath: /tmp
        {{- if and $v.redis.tls.enabled (or $v.redis.tls.caSecret $v.redis.tls.caConfigMap) }}
        - name: redis-ca
          mountPath: /etc/mpegflow/redis-ca
          readOnly: true
        {{- end }}
        {{- if and $v.redis.tls.enabled $v.redis.tls.clientCertSecret }}
        - name: redis-client
          mountPath: /etc/mpegflow/redis-client
          readOnly: true
        {{- end }}
        {{- with $pool.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: scratch
      emptyDir:
        {{- with $v.worker.scratchMedium }}
        medium: {{ . }}
        {{- end }}
        sizeLimit: {{ $pool.scratchSizeLimit | default $v.worker.scratchSizeLimit }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $v.worker.tmpSizeLimit }}
    {{- with $v.redis.tls }}
    {{- if and .enabled .caSecret }}
    - name: redis-ca
      secret:
        secretName: {{ .caSecret }}
        items: [{ key: {{ .caKey | quote }}, path: {{ .caKey | quote }} }]
    {{- else if and .enabled .caConfigMap }}
    - name: redis-ca
      configMap:
        name: {{ .caConfigMap }}
        items: [{ key: {{ .caKey | quote }}, path: {{ .caKey | quote }} }]
    {{- end }}
    {{- if and .enabled .clientCertSecret }}
    - name: redis-client
      secret:
        secretName: {{ .clientCertSecret }}
        items: [{ key: tls.crt, path: tls.crt }, { key: tls.key, path: tls.key }]
    {{- end }}
    {{- end }}
    {{- with $pool.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
