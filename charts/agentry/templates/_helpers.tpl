{{/* The chart's name, or nameOverride. */}}
{{- define "agentry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The base name of the chart's objects: fullnameOverride, else the release name (with the chart name when it lacks it). */}}
{{- define "agentry.fullname" -}}
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

{{- define "agentry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "agentry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentry
{{- end }}

{{- define "agentry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "agentry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agentry.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The namespaces the operator watches, comma-separated; empty means all. Namespaced mode defaults to the release namespace. */}}
{{- define "agentry.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- join "," (uniq .Values.watchNamespaces) }}
{{- else if .Values.rbac.namespaced }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{- define "agentry.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Label matchers of the operator's series in the alert rules. */}}
{{- define "agentry.metricsSelector" -}}
{{- default (printf "job=%q" (printf "%s-metrics" (include "agentry.fullname" .))) .Values.prometheusRule.selector }}
{{- end }}

{{/*
What the operator does through the API server, the same for its ClusterRole and for each Role of
the namespaced mode: every verb is one the operator's code uses.
*/}}
{{- define "agentry.operatorRules" -}}
# AgentDeployments: the informer lists and watches them; the action annotations it acted on are
# removed with a merge patch.
- apiGroups: ["agentry.dev"]
  resources: ["agentdeployments"]
  verbs: ["list", "watch", "patch"]
# Status is written by server-side apply of the status subresource.
- apiGroups: ["agentry.dev"]
  resources: ["agentdeployments/status"]
  verbs: ["patch"]
# Owned objects: cached by informers, written by server-side apply (which needs create for an
# object that does not exist yet), read once for managedFields when another writer fights over a
# field, deleted when no longer declared (old revisions, a preview Service, a removed HPA or PDB).
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Secrets: listed and watched to hash the data agents reference (a rotated key rolls out), read
# for an analysis' Prometheus credentials, and created once for a generated NAME-auth key. The
# operator never updates or deletes a Secret (NAME-auth goes with its agent by ownerReference).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create"]
# ConfigMaps: listed and watched to hash the data agents reference.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["list", "watch"]
# Events on AgentDeployments for every rollout transition.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Gateway API: HTTPRoutes are watched (where the API is served) and a canary's backend weights
# set with a JSON patch; get where the API appeared after the operator started.
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "patch"]
{{- end }}
