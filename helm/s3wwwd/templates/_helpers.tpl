{{/* Names ------------------------------------------------------------------ */}}

{{- define "s3wwwd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, 63 characters at most (DNS label).  A release whose
name already contains the chart's name is not repeated ("s3wwwd", not
"s3wwwd-s3wwwd").
*/}}
{{- define "s3wwwd.fullname" -}}
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

{{- define "s3wwwd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels ----------------------------------------------------------------- */}}

{{- define "s3wwwd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s3wwwd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The labels of every object; the selector labels plus what may change. */}}
{{- define "s3wwwd.labels" -}}
helm.sh/chart: {{ include "s3wwwd.chart" . }}
{{ include "s3wwwd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: s3wwwd
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "s3wwwd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "s3wwwd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "s3wwwd.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if eq $tag "latest" }}
{{- fail "image.tag: \"latest\" is not allowed; pin a version (or image.digest)" }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Credentials -------------------------------------------------------------- */}}

{{/* Where the Secret volume is mounted, and the files s3wwwd reads. */}}
{{- define "s3wwwd.credentialsDir" -}}/var/run/secrets/s3wwwd{{- end }}
{{- define "s3wwwd.caDir" -}}/var/run/s3wwwd/ca{{- end }}

{{/*
The name of the credentials Secret the pods mount; "" when they get no
credentials (anonymous).  One source at a time: credentials.create,
credentials.anonymous or externalSecret.enabled, or else (none of them)
credentials.existingSecret.
*/}}
{{- define "s3wwwd.credentialsSecretName" -}}
{{- $c := .Values.credentials }}
{{- $es := .Values.externalSecret }}
{{- if $es.enabled }}
{{- if or $c.create $c.anonymous }}
{{- fail (printf "externalSecret.enabled is set together with credentials.%s; choose one credentials source (the ExternalSecret's Secret, credentials.create, credentials.anonymous or credentials.existingSecret)" (ternary "create" "anonymous" (and $c.create true))) }}
{{- end }}
{{- if or $c.accessKey $c.secretKey }}
{{- fail "credentials.accessKey/secretKey are only used with credentials.create=true; with externalSecret.enabled the keys come from the secret manager (externalSecret.accessKey/secretKey)" }}
{{- end }}
{{- if not $es.secretStoreRef.name }}
{{- fail "externalSecret.enabled needs externalSecret.secretStoreRef.name: the SecretStore or ClusterSecretStore to read the keys from" }}
{{- end }}
{{- if not (and $es.accessKey.key $es.secretKey.key) }}
{{- fail "externalSecret.enabled needs externalSecret.accessKey.key and externalSecret.secretKey.key: where the keys are in the secret manager" }}
{{- end }}
{{- default (printf "%s-credentials" (include "s3wwwd.fullname" .)) $es.target.name }}
{{- else if $c.anonymous }}
{{- if or $c.create $c.accessKey $c.secretKey }}
{{- fail "credentials.anonymous is set together with credentials.create/accessKey/secretKey; choose one" }}
{{- end }}
{{- else if $c.create }}
{{- if not (and $c.accessKey $c.secretKey) }}
{{- fail "credentials.create needs credentials.accessKey and credentials.secretKey (or use credentials.existingSecret)" }}
{{- end }}
{{- printf "%s-credentials" (include "s3wwwd.fullname" .) }}
{{- else if $c.existingSecret }}
{{- if or $c.accessKey $c.secretKey }}
{{- fail "credentials.accessKey/secretKey are only used with credentials.create=true; with credentials.existingSecret, keep the keys in that Secret" }}
{{- end }}
{{- $c.existingSecret }}
{{- else }}
{{- fail "set credentials.existingSecret, or credentials.create with accessKey/secretKey, or externalSecret.enabled (External Secrets Operator), or credentials.anonymous for a public bucket" }}
{{- end }}
{{- end }}

{{/* "true" when the pods also read a session token (temporary credentials),
which only the ExternalSecret provides. */}}
{{- define "s3wwwd.sessionToken" -}}
{{- if and .Values.externalSecret.enabled .Values.externalSecret.sessionToken.key }}true{{ end }}
{{- end }}

{{/* Configuration ------------------------------------------------------------- */}}

{{/*
A libconfig string literal: backslashes and quotes escaped.  The schema
keeps control characters out of every string that reaches the file.
*/}}
{{- define "s3wwwd.str" -}}
"{{ . | toString | replace "\\" "\\\\" | replace "\"" "\\\"" }}"
{{- end }}

{{/*
A libconfig group of the keys a values map holds, in a fixed order:
(list MAP (list valuesKey settingName ...)).  A key that is present is
written even when empty (replace_key_prefix = "" strips the prefix);
strings are quoted with s3wwwd.str, numbers and booleans written bare.
*/}}
{{- define "s3wwwd.group" -}}
{{- $m := index . 0 -}}
{{- $keys := index . 1 -}}
{
{{- range $i, $k := $keys }}
{{- if and (eq (mod $i 2) 0) (hasKey $m $k) }}
{{- $x := index $m $k }} {{ index $keys (add1 $i) }} = {{ if kindIs "string" $x }}{{ include "s3wwwd.str" $x }}{{ else if kindIs "bool" $x }}{{ $x }}{{ else }}{{ int64 $x }}{{ end }};
{{- end }}
{{- end }} }
{{- end }}

{{- define "s3wwwd.listen" -}}
{{- $addr := .Values.server.listenAddress }}
{{- if contains ":" $addr }}
{{- printf "[%s]:%d" $addr (int .port) }}
{{- else }}
{{- printf "%s:%d" $addr (int .port) }}
{{- end }}
{{- end }}

{{/* The daemon's configuration file (s3wwwd.conf(5)). */}}
{{- define "s3wwwd.config" -}}
{{- $v := .Values -}}
{{- $secret := include "s3wwwd.credentialsSecretName" . -}}
# s3wwwd.conf, rendered by the s3wwwd Helm chart {{ .Chart.Version }}; see s3wwwd.conf(5).
listen = {{ include "s3wwwd.str" (include "s3wwwd.listen" (dict "Values" $v "port" $v.server.port)) }};
workers = {{ int $v.server.workers }};

s3: {
  endpoint = {{ include "s3wwwd.str" $v.s3.endpoint }};
  bucket = {{ include "s3wwwd.str" $v.s3.bucket }};
  bucket_path = {{ include "s3wwwd.str" $v.s3.bucketPath }};
  region = {{ include "s3wwwd.str" $v.s3.region }};
  virtual_host = {{ $v.s3.virtualHost }};
  tls_verify = {{ $v.s3.tlsVerify }};
  connect_timeout = {{ include "s3wwwd.str" $v.s3.connectTimeout }};
  timeout = {{ include "s3wwwd.str" $v.s3.timeout }};
{{- if $v.s3.caBundle.configMap }}
  ca_bundle = {{ include "s3wwwd.str" (printf "%s/ca.crt" (include "s3wwwd.caDir" .)) }};
{{- end }}
{{- if $secret }}
  # Files from the Secret volume; re-read when s3wwwd reloads (SIGHUP).
  access_key_file = {{ include "s3wwwd.str" (printf "%s/access_key" (include "s3wwwd.credentialsDir" .)) }};
  secret_key_file = {{ include "s3wwwd.str" (printf "%s/secret_key" (include "s3wwwd.credentialsDir" .)) }};
{{- if include "s3wwwd.sessionToken" . }}
  session_token_file = {{ include "s3wwwd.str" (printf "%s/session_token" (include "s3wwwd.credentialsDir" .)) }};
{{- end }}
{{- end }}
};

site: {
  index = {{ include "s3wwwd.str" $v.site.index }};
  spa_file = {{ include "s3wwwd.str" $v.site.spaFile }};
  error_document = {{ include "s3wwwd.str" $v.site.errorDocument }};
  directory_listing = false;
  directory_redirect = {{ include "s3wwwd.str" $v.site.directoryRedirect }};
  cors_origins = [ {{- range $i, $o := $v.site.corsOrigins }}{{ if $i }},{{ end }} {{ include "s3wwwd.str" $o }}{{ end }} ];
{{- with $v.site.websiteDocument }}
  website_document = {{ include "s3wwwd.str" . }};
{{- end }}
{{- with $v.site.websiteTtl }}
  website_ttl = {{ include "s3wwwd.str" . }};
{{- end }}
{{- with $v.site.routingRules }}
  routing_rules = (
{{- range $i, $r := . }}
    {{ include "s3wwwd.group" (list $r (list "keyPrefix" "key_prefix" "errorCode" "error_code" "protocol" "protocol" "host" "host" "replaceKeyPrefix" "replace_key_prefix" "replaceKey" "replace_key" "code" "code")) }}{{ if lt (add1 $i) (len $v.site.routingRules) }},{{ end }}
{{- end }}
  );
{{- end }}
{{- with $v.site.redirectAll }}
  redirect_all = {{ include "s3wwwd.group" (list . (list "host" "host" "protocol" "protocol")) }};
{{- end }}
{{- with $v.site.headers }}
  headers = (
{{- range $i, $h := . }}
    {{ include "s3wwwd.group" (list $h (list "prefix" "prefix" "name" "name" "value" "value" "override" "override")) }}{{ if lt (add1 $i) (len $v.site.headers) }},{{ end }}
{{- end }}
  );
{{- end }}
{{- with $v.site.trySuffixes }}
  try_suffixes = [ {{- range $i, $s := . }}{{ if $i }},{{ end }} {{ include "s3wwwd.str" $s }}{{ end }} ];
{{- end }}
{{- if $v.site.redirectSuffixes }}
  redirect_suffixes = true;
{{- end }}
{{- with $v.site.fallbacks }}
  fallbacks = (
{{- range $i, $f := . }}
    {{ include "s3wwwd.group" (list $f (list "prefix" "prefix" "spaFile" "spa_file" "errorDocument" "error_document")) }}{{ if lt (add1 $i) (len $v.site.fallbacks) }},{{ end }}
{{- end }}
  );
{{- end }}
};

cache: {
  enabled = {{ $v.server.cache.enabled }};
  memory = {{ int $v.server.cache.memoryMiB }};
  max_object_size = {{ int $v.server.cache.maxObjectSizeKiB }};
  ttl = {{ include "s3wwwd.str" $v.server.cache.ttl }};
};

limits: {
  max_header_size = {{ int $v.server.limits.maxHeaderSize }};
  max_connections = {{ int $v.server.limits.maxConnections }};
  header_timeout = {{ include "s3wwwd.str" $v.server.limits.headerTimeout }};
  keepalive_timeout = {{ include "s3wwwd.str" $v.server.limits.keepaliveTimeout }};
  keepalive_requests = {{ int $v.server.limits.keepaliveRequests }};
  send_timeout = {{ include "s3wwwd.str" $v.server.limits.sendTimeout }};
  drain_timeout = {{ include "s3wwwd.str" $v.server.limits.drainTimeout }};
};

ops: {
  healthz = "/healthz";
  readyz = "/readyz";
  metrics = "/metrics";
  listen = {{ include "s3wwwd.str" (include "s3wwwd.listen" (dict "Values" $v "port" $v.server.opsPort)) }};
};

log: {
  level = {{ include "s3wwwd.str" $v.server.logLevel }};
  file = "";
{{- if eq $v.server.accessLog "none" }}
  access = "";
{{- else }}
  access = "-";
  access_format = {{ include "s3wwwd.str" $v.server.accessLog }};
{{- end }}
};
{{- end }}

{{/* Networking --------------------------------------------------------------- */}}

{{/* The port of s3.endpoint: explicit, or the scheme's default. */}}
{{- define "s3wwwd.s3Port" -}}
{{- $u := urlParse .Values.s3.endpoint }}
{{- $hostport := splitList ":" (get $u "host") }}
{{- if and (gt (len $hostport) 1) (regexMatch "^[0-9]+$" (last $hostport)) }}
{{- last $hostport }}
{{- else if eq (get $u "scheme") "http" }}80
{{- else }}443
{{- end }}
{{- end }}

{{/* The `helm test` pod's labels: not the server's selector labels, so
that neither the Service nor the NetworkPolicy take it for a server pod. */}}
{{- define "s3wwwd.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "s3wwwd.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
