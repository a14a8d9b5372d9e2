# Shared by the launch scripts: project paths and the Java 17 flags Spark needs (one list, in
# conf/java17.args, also read by the Maven surefire configuration).
LOGQ_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOGQ_JAR="$LOGQ_HOME/job/target/logq-job.jar"
LOGQ_CLASSPATH_FILE="$LOGQ_HOME/job/target/local-classpath.txt"
# One line, single spaces, no trailing space (airflow/logq_command.py builds the same string).
LOGQ_JAVA_OPENS="$(grep -v '^[[:space:]]*$' "$LOGQ_HOME/conf/java17.args" | paste -sd' ' -)"

# The jar spark-submit takes: $LOGQ_ASSEMBLY when set (e.g. a copy on HDFS, never rebuilt), else the
# job/target/logq-job-assembly.jar that Maven builds (the shade plugin's fixed name in job/pom.xml).
LOGQ_ASSEMBLY_GIVEN="${LOGQ_ASSEMBLY:-}"
logq_find_assembly() {
  local jar="$LOGQ_HOME/job/target/logq-job-assembly.jar"
  if [[ -f "$jar" ]]; then echo "$jar"; fi
}
if [[ -z "$LOGQ_ASSEMBLY_GIVEN" ]]; then
  LOGQ_ASSEMBLY="$(logq_find_assembly)"
fi

# Builds the jars when they are missing or older than the sources (quietly, without tests).
logq_build_if_needed() {
  local stale=0
  if [[ ! -f "$LOGQ_JAR" || ! -f "$LOGQ_CLASSPATH_FILE" || -z "$LOGQ_ASSEMBLY" ]]; then
    stale=1
  elif [[ -n "$(find "$LOGQ_HOME/common/src/main" "$LOGQ_HOME/job/src/main" "$LOGQ_HOME/pom.xml" \
                  "$LOGQ_HOME/common/pom.xml" "$LOGQ_HOME/job/pom.xml" -newer "$LOGQ_JAR" -print -quit)" ]]; then
    stale=1
  fi
  if [[ $stale == 1 ]]; then
    echo "logq: building the job (mvn -DskipTests package) ..." >&2
    (cd "$LOGQ_HOME" && mvn -B -q -DskipTests package >&2) || { echo "logq: build failed" >&2; exit 1; }
    if [[ -z "$LOGQ_ASSEMBLY_GIVEN" ]]; then
      LOGQ_ASSEMBLY="$(logq_find_assembly)"
    fi
  fi
}
