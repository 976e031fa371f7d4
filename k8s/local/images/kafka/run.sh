#!/bin/sh
# What the apache/kafka image does with its environment (local stand-in only): every
# KAFKA_* variable becomes a broker setting (KAFKA_LOG_DIRS -> log.dirs; "__" -> "_",
# "___" -> "-"), the KRaft storage is formatted once with CLUSTER_ID, then the broker runs.
set -eu
config=/tmp/server.properties
env | grep '^KAFKA_' | grep -vE '^KAFKA_(HEAP_OPTS|OPTS|JVM_PERFORMANCE_OPTS|LOG4J_OPTS)=' | while IFS='=' read -r name value; do
  key=$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
  printf '%s=%s\n' "$key" "$value"
done >"$config"
java_opts="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -Djava.awt.headless=true"
# shellcheck disable=SC2086
java $java_opts -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --ignore-formatted -t "$CLUSTER_ID" -c "$config"
# shellcheck disable=SC2086
exec java $java_opts -cp '/opt/kafka/libs/*' kafka.Kafka "$config"
