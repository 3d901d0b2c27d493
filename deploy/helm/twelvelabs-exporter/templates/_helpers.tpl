{{/* Name of the chart, or nameOverride. */}}
{{- define "twelvelabs-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: fullnameOverride, or the release name
followed by the chart's name unless it already contains it. The Service's
name becomes Prometheus's job label.
*/}}
{{- define "twelvelabs-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the exporter's pods. */}}
{{- define "twelvelabs-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "twelvelabs-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "twelvelabs-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "twelvelabs-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ include "twelvelabs-exporter.tag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: twelvelabs-exporter
{{- end }}

{{/* The image's tag: image.tag, or the chart's appVersion. */}}
{{- define "twelvelabs-exporter.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Name of the ServiceAccount the pod runs as. */}}
{{- define "twelvelabs-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "twelvelabs-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Where the files go in the containers: the one account's key, or the config
file and each account's key in a directory of its own.
*/}}
{{- define "twelvelabs-exporter.keyDir" -}}/etc/twelvelabs_exporter{{- end }}
{{- define "twelvelabs-exporter.configFile" -}}/etc/twelvelabs_exporter/config/config.yml{{- end }}
{{- define "twelvelabs-exporter.accountKeyFile" -}}/etc/twelvelabs_exporter/accounts/{{ . }}/api-key{{- end }}

{{/*
The exporter's --config.file: config.organizations and config.accounts,
with each account's existingSecret turned into the key_file it is mounted
at. Its checksum on the pod rolls the Deployment out when it changes.
*/}}
{{- define "twelvelabs-exporter.config" -}}
{{- with .Values.config.organizations }}
organizations:
  {{- toYaml . | nindent 2 }}
{{- end }}
accounts:
{{- range .Values.config.accounts }}
  - name: {{ toJson .name }}
    {{- $a := omit . "name" "existingSecret" "secretKey" }}
    {{- if .existingSecret }}
    {{- $_ := set $a "key_file" (include "twelvelabs-exporter.accountKeyFile" .name) }}
    {{- end }}
    {{- with $a }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end }}

{{/* The exporter's arguments, the same for the --config.check init container. */}}
{{- define "twelvelabs-exporter.args" -}}
{{- if .Values.config.accounts }}
- --config.file={{ include "twelvelabs-exporter.configFile" . }}
{{- else }}
- --twelvelabs.api-key-file={{ include "twelvelabs-exporter.keyDir" . }}/api-key
{{- end }}
- --web.listen-address=:{{ .Values.service.port }}
{{- range $name, $on := .Values.collectors }}
- --{{ if not $on }}no-{{ end }}collector.{{ $name }}
{{- end }}
{{- range $name, $v := .Values.plan }}
{{- if $v }}
- --plan.{{ $name | replace "_" "-" }}={{ $v }}
{{- end }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Labels of the objects Prometheus selects: the common ones, release from
releaseLabel, then the object's additionalLabels over them.
Call with (dict "root" $ "additional" .Values.X.additionalLabels).
*/}}
{{- define "twelvelabs-exporter.monitoringLabels" -}}
{{- $labels := fromYaml (include "twelvelabs-exporter.labels" .root) }}
{{- with .root.Values.releaseLabel }}
{{- $_ := set $labels "release" . }}
{{- end }}
{{- toYaml (merge (deepCopy (.additional | default dict)) $labels) }}
{{- end }}

{{/* A DNS-subdomain name for an account's objects; account names may hold capitals and '_'. */}}
{{- define "twelvelabs-exporter.accountObjectName" -}}
{{- printf "%s-%s" (include "twelvelabs-exporter.fullname" .root) (.name | lower | replace "_" "-") | trunc 253 | trimSuffix "-" | trimSuffix "." }}
{{- end }}

{{/*
What the exporter and its init container share: environment, resources,
security context, and the mounts of the key or the config and keys.
*/}}
{{- define "twelvelabs-exporter.containerCommon" -}}
{{- with .Values.extraEnv }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
{{- if .Values.config.accounts }}
  - name: config
    mountPath: {{ include "twelvelabs-exporter.configFile" . | dir }}
    readOnly: true
  {{- range $i, $a := .Values.config.accounts }}
  {{- if $a.existingSecret }}
  - name: account-key-{{ $i }}
    mountPath: {{ include "twelvelabs-exporter.accountKeyFile" $a.name | dir }}
    readOnly: true
  {{- end }}
  {{- end }}
{{- else }}
  - name: api-key
    mountPath: {{ include "twelvelabs-exporter.keyDir" . }}
    readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Labels that select the helm test pod (the NetworkPolicy lets it in). */}}
{{- define "twelvelabs-exporter.testSelectorLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}
