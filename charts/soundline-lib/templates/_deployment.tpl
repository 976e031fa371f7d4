{{- define "soundline-lib.deployment" -}}
{{- $fullname := include "soundline-lib.fullname" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "soundline-lib.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "soundline-lib.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "soundline-lib.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/part-of: soundline
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- if .Values.config }}
        checksum/config: {{ toJson .Values.config | sha256sum }}
        {{- end }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "soundline-lib.serviceAccountName" . }}
      automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      {{- if .Values.migrations.enabled }}
      initContainers:
        # The project's migrator from the service's own image: no Prisma engine, and the
        # same advisory lock and _prisma_migrations bookkeeping as `prisma migrate deploy`
        # (see docs/kubernetes.md, "Migrations").
        - name: migrate
          image: {{ include "soundline-lib.imageRef" (list .Values.image .) | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          # The image's entrypoint is node: the init container only names the script.
          args: ["/app/packages/platform/dist/cli/migrate.js"]
          env:
            {{- include "soundline-lib.secretEnv" . | trim | nindent 12 }}
            - name: MIGRATIONS_DIR
              value: {{ printf "/app/prisma/%s/migrations" .Values.migrations.database | quote }}
            {{- with get (.Values.config | default dict) "LOG_LEVEL" }}
            - name: LOG_LEVEL
              value: {{ . | quote }}
            {{- end }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.migrations.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      {{- end }}
      containers:
        - name: {{ include "soundline-lib.name" . }}
          image: {{ include "soundline-lib.imageRef" (list .Values.image .) | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
          env:
            - name: PORT
              value: {{ .Values.containerPort | quote }}
            - name: HOST
              value: "0.0.0.0"
            - name: SHUTDOWN_DRAIN_MS
              value: {{ mul .Values.shutdown.drainSeconds 1000 | quote }}
            {{- include "soundline-lib.secretEnv" . | trim | nindent 12 }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if or .Values.config .Values.envFromSecrets .Values.envFromConfigMaps }}
          envFrom:
            {{- if .Values.config }}
            - configMapRef:
                name: {{ $fullname }}
            {{- end }}
            {{- range .Values.envFromConfigMaps }}
            - configMapRef:
                name: {{ . }}
            {{- end }}
            {{- range .Values.envFromSecrets }}
            - secretRef:
                name: {{ . }}
            {{- end }}
          {{- end }}
          {{- with .Values.probes }}
          startupProbe:
            httpGet:
              path: {{ .startup.path }}
              port: http
            periodSeconds: {{ .startup.periodSeconds }}
            timeoutSeconds: {{ .startup.timeoutSeconds }}
            failureThreshold: {{ .startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: {{ .liveness.path }}
              port: http
            periodSeconds: {{ .liveness.periodSeconds }}
            timeoutSeconds: {{ .liveness.timeoutSeconds }}
            failureThreshold: {{ .liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: {{ .readiness.path }}
              port: http
            periodSeconds: {{ .readiness.periodSeconds }}
            timeoutSeconds: {{ .readiness.timeoutSeconds }}
            failureThreshold: {{ .readiness.failureThreshold }}
          {{- end }}
          {{- if .Values.shutdown.preStopSleepSeconds }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .Values.shutdown.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # The root filesystem is read-only; /tmp is the only writable place.
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
      {{- if or .Values.topologySpreadConstraints .Values.spreadOverNodes }}
      topologySpreadConstraints:
        {{- if .Values.spreadOverNodes }}
        # One node lost takes as few of this service's pods as the cluster allows.
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "soundline-lib.selectorLabels" . | nindent 14 }}
        {{- end }}
        {{- with .Values.topologySpreadConstraints }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
