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
