#!/usr/bin/env bash
# Bulwark local stack: a real single-node Kafka (KRaft, broker+controller) and a
# single-node Elasticsearch, both on loopback, all state under $BULWARK_HOME.
#
# Everything is fetched through Maven (deploy/local/stack-artifacts.xml), so the
# versions are the root pom's kafka.version / elasticsearch.version and the
# artifacts are cached in ~/.m2 after the first run. Run with --help for usage.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
ARTIFACTS_POM="$SCRIPT_DIR/stack-artifacts.xml"

# Exit codes (part of the contract with the Java side, see --help).
readonly EXIT_ERROR=1      # missing prerequisite, fetch failure, port conflict, bad config
readonly EXIT_USAGE=2      # unknown command / option
readonly EXIT_UNHEALTHY=3  # a component did not become healthy (up) / is not healthy (status)

# ----------------------------------------------------------------------------
# Settings (environment)
# ----------------------------------------------------------------------------
BULWARK_HOME=${BULWARK_HOME:-$REPO_ROOT/.bulwark}
KAFKA_PORT=${BULWARK_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${BULWARK_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_MTLS_PORT=${BULWARK_KAFKA_MTLS_PORT:-9094}   # secured stack only: the mutual-TLS listener
ES_PORT=${BULWARK_ES_PORT:-9200}
ES_TRANSPORT_PORT=${BULWARK_ES_TRANSPORT_PORT:-9300}
KAFKA_HEAP=${BULWARK_KAFKA_HEAP:--Xms256m -Xmx512m}
ES_HEAP=${BULWARK_ES_HEAP:-512m}
STACK_TIMEOUT=${BULWARK_STACK_TIMEOUT:-180}
STOP_TIMEOUT=${BULWARK_STOP_TIMEOUT:-60}
ES_USER=${BULWARK_ES_USER:-bulwark}

# ----------------------------------------------------------------------------
# Output helpers: progress goes to stderr, machine-readable lines to stdout.
# ----------------------------------------------------------------------------
say() { printf '[bulwark] %s\n' "$*" >&2; }
die() { # die [exit-code] message...
  local code=$EXIT_ERROR
  if [[ $# -gt 1 && $1 =~ ^[0-9]+$ ]]; then code=$1; shift; fi
  printf '[bulwark] ERROR: %s\n' "$*" >&2
  exit "$code"
}

usage() {
  cat <<EOF
Usage: $(basename "$0") COMMAND [OPTIONS]

Manage a local single-node Kafka (KRaft) + Elasticsearch stack for Bulwark.

Commands:
  up [--secure] [--brokers N] [--es-nodes N] [kafka|es]
                   Fetch (via Maven, cached), start and wait until both are healthy.
                   Idempotent: running components are left alone. With a component
                   name, only that one is started and waited for. --secure: Kafka
                   with TLS, a SCRAM user per component and deny-by-default ACLs
                   (certificates and credentials under \$BULWARK_HOME/secure).
                   --brokers 3 --es-nodes 2: a KRaft cluster of 3 brokers (each also
                   a controller; internal topics replicated 3 ways, min.insync.replicas
                   2) and a 2-node Elasticsearch cluster (node 1 master, node 2 data);
                   node i listens 100 ports above broker 1 (Kafka) or i-1 above node 1
                   (Elasticsearch). The shape is kept for later commands; changing it
                   needs 'down --purge'. Not with --secure.
  down [--purge] [--kill] [kafka|es|kafka-N|es-N]
                   Stop both (SIGTERM, then SIGKILL after \$BULWARK_STOP_TIMEOUT s).
                   Data is kept unless --purge is given (the fetched Elasticsearch
                   distribution and Kafka classpath stay cached either way). With a
                   component name, only that one is stopped (outage drills, tests);
                   kafka-2 or es-2 stops one node of a multi-node stack.
                   --kill sends SIGKILL at once instead (crash drills).
  purge            Same as 'down --purge'.
  status           One line per component; exit 0 only if both are healthy.
  env              Print BULWARK_KAFKA_BOOTSTRAP=... and BULWARK_ES_URL=... lines.
  logs [-f|--paths] [kafka|elasticsearch]
                   Show the last lines of the logs, follow them (-f), or print paths.
  kafka-tool CLASS [ARGS...]
                   Run a Kafka tool class with the cached classpath, e.g.
                   kafka-tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list

Environment:
  BULWARK_HOME                   state folder            (default: <repo>/.bulwark)
  BULWARK_KAFKA_PORT             Kafka client port       (default: 9092)
  BULWARK_KAFKA_CONTROLLER_PORT  KRaft controller port   (default: 9093)
  BULWARK_KAFKA_MTLS_PORT        mutual-TLS listener of a secured stack (default: 9094)
  BULWARK_ES_PORT                Elasticsearch HTTP port (default: 9200)
  BULWARK_ES_TRANSPORT_PORT      Elasticsearch transport (default: 9300)
  BULWARK_KAFKA_HEAP             JVM heap options or a size (default: "-Xms256m -Xmx512m")
  BULWARK_ES_HEAP                a size used for -Xms/-Xmx, or JVM options (default: 512m)
  BULWARK_ES_JAVA_HOME           JDK >= 21 for Elasticsearch (default: highest found
                                 under /usr/lib/jvm or \$JAVA_HOME)
  BULWARK_ES_USER                user that runs Elasticsearch when invoked as root
                                 (default: bulwark; created if missing)
  BULWARK_STACK_TIMEOUT          seconds 'up' waits for health (default: 180)
  BULWARK_STOP_TIMEOUT           seconds 'down' waits before SIGKILL (default: 60)
  JAVA_HOME                      JDK (>= 17) for Kafka; else 'java' on PATH

Output: progress lines ("[bulwark] ...") go to stderr. On success 'up' and 'env'
print exactly these lines on stdout:
  BULWARK_KAFKA_BOOTSTRAP=127.0.0.1:<port>
  BULWARK_ES_URL=http://127.0.0.1:<port>

Exit codes: 0 ok; 1 error (prerequisite, fetch, port in use, config);
            2 usage; 3 not healthy ('up' timed out / a component died; 'status').
EOF
}

# ----------------------------------------------------------------------------
# Validation and derived paths
# ----------------------------------------------------------------------------
check_port_var() {
  local name=$1 value=$2
  if [[ ! $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
    die "$name must be a TCP port number, got '$value'"
  fi
}

# Reads a simple <name>value</name> property from the root pom. Maven itself uses
# the same property through the parent of stack-artifacts.xml; the script only
# needs the value to name cached files (and to say what it is fetching).
pom_property() {
  local name=$1 value
  value=$(sed -n "s:.*<$name>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</$name>.*:\1:p" "$REPO_ROOT/pom.xml" | head -n1)
  [[ $value =~ ^[A-Za-z0-9._-]+$ ]] \
    || die "could not read <$name> from $REPO_ROOT/pom.xml (expected a literal version)"
  printf '%s' "$value"
}

init_settings() {
  check_port_var BULWARK_KAFKA_PORT "$KAFKA_PORT"
  check_port_var BULWARK_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  check_port_var BULWARK_KAFKA_MTLS_PORT "$KAFKA_MTLS_PORT"
  check_port_var BULWARK_ES_PORT "$ES_PORT"
  check_port_var BULWARK_ES_TRANSPORT_PORT "$ES_TRANSPORT_PORT"
  [[ $STACK_TIMEOUT =~ ^[0-9]+$ ]] || die "BULWARK_STACK_TIMEOUT must be a number of seconds"
  [[ $STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "BULWARK_STOP_TIMEOUT must be a number of seconds"
  local ports="$KAFKA_PORT $KAFKA_CONTROLLER_PORT $ES_PORT $ES_TRANSPORT_PORT"
  [[ $(tr ' ' '\n' <<<"$ports" | sort -u | wc -l) -eq 4 ]] \
    || die "the four ports must differ (kafka=$KAFKA_PORT controller=$KAFKA_CONTROLLER_PORT es=$ES_PORT transport=$ES_TRANSPORT_PORT)"

  BULWARK_HOME=$(realpath -m -- "$BULWARK_HOME")
  # Topology: how many brokers and Elasticsearch nodes this stack was made with ('up --brokers N --es-nodes N').
  TOPOLOGY_FILE="$BULWARK_HOME/topology"
  KAFKA_BROKERS=1 ES_NODES=1
  if [[ -f $TOPOLOGY_FILE ]]; then
    KAFKA_BROKERS=$(sed -n 's/^brokers=\([0-9]*\)$/\1/p' "$TOPOLOGY_FILE"); KAFKA_BROKERS=${KAFKA_BROKERS:-1}
    ES_NODES=$(sed -n 's/^es_nodes=\([0-9]*\)$/\1/p' "$TOPOLOGY_FILE"); ES_NODES=${ES_NODES:-1}
  fi
  set_bootstrap
  ES_URL="http://127.0.0.1:$ES_PORT"
  [[ -f $BULWARK_HOME/secure/es-secure ]] && ES_URL="https://127.0.0.1:$ES_PORT"

  # Kafka layout
  K_DIR="$BULWARK_HOME/kafka"
  K_DATA="$K_DIR/data"
  K_PROPS="$K_DIR/server.properties"
  K_LOG="$K_DIR/kafka.log"              # broker log4j2 log (rolled at 50 MB)
  K_OUT="$K_DIR/kafka.out"              # JVM stdout/stderr
  K_PID="$K_DIR/kafka.pid"
  K_LOG4J="$K_DIR/log4j2.properties"
  K_TOOLS_LOG4J="$K_DIR/tools-log4j2.properties"
  K_TOOLS_CLIENT="$K_DIR/tools-client.properties"
  K_FORMAT_INFO="$K_DATA/bulwark-format.info"
  # Unique JVM argument: identifies our broker in /proc (pid files can be stale).
  K_MARKER="-Dbulwark.stack.kafka=$BULWARK_HOME"
  # Secure mode (up --secure): certificates and credentials, readable by the owner only.
  S_DIR="$BULWARK_HOME/secure"
  S_MARK="$S_DIR/kafka-secure"           # present: the broker's data was made secured, so it stays secured
  S_CA_P12="$S_DIR/ca.p12"
  S_CA_PEM="$S_DIR/ca.pem"
  S_BROKER_P12="$S_DIR/kafka-broker.p12"
  S_STORE_PASS="$S_DIR/store.password"
  S_CREDENTIALS="$S_DIR/kafka-credentials.properties"
  S_MTLS_CREDENTIALS="$S_DIR/kafka-mtls-credentials.properties"
  S_ES_MARK="$S_DIR/es-secure"            # present: Elasticsearch runs with security and HTTPS
  S_ES_CREDENTIALS="$S_DIR/es-credentials.properties"

  # Elasticsearch layout
  E_DIR="$BULWARK_HOME/elasticsearch"
  E_DATA="$E_DIR/data"
  E_LOGS="$E_DIR/logs"
  E_TMP="$E_DIR/tmp"
  E_PID="$E_DIR/es.pid"                 # written by Elasticsearch itself (-p)
  E_OUT="$E_DIR/es.out"                 # launcher stdout/stderr
  E_LOG="$E_LOGS/bulwark-local.log"     # <cluster.name>.log
  E_MARKER="-Dbulwark.stack.es=$BULWARK_HOME"
}

# when COND TEXT: TEXT if the arithmetic COND holds, else nothing; never fails (safe in assignments under set -e).
when() { if (($1)); then printf '%s' "$2"; fi; }

# The client bootstrap: every broker of the stack.
set_bootstrap() {
  local i list=""
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do list+="${list:+,}127.0.0.1:$(kafka_node_port "$i")"; done
  KAFKA_BOOTSTRAP=$list
}

# Node i of a multi-node stack (i >= 2) listens 100 ports above node 1 (Kafka) or 1 above (Elasticsearch), and keeps
# its files in a node-<i> folder; node 1 keeps the single-node layout, so a one-node stack is unchanged.
kafka_node_port() { echo $((KAFKA_PORT + 100 * ($1 - 1))); }
kafka_node_cport() { echo $((KAFKA_CONTROLLER_PORT + 100 * ($1 - 1))); }
kafka_node_dir() { if (($1 == 1)); then echo "$K_DIR"; else echo "$K_DIR/node-$1"; fi; }
kafka_node_data() { if (($1 == 1)); then echo "$K_DATA"; else echo "$K_DIR/node-$1/data"; fi; }
kafka_node_props() { if (($1 == 1)); then echo "$K_PROPS"; else echo "$K_DIR/node-$1/server.properties"; fi; }
kafka_node_pidfile() { if (($1 == 1)); then echo "$K_PID"; else echo "$K_DIR/node-$1/kafka.pid"; fi; }
kafka_node_out() { if (($1 == 1)); then echo "$K_OUT"; else echo "$K_DIR/node-$1/kafka.out"; fi; }
kafka_node_log() { if (($1 == 1)); then echo "$K_LOG"; else echo "$K_DIR/node-$1/kafka.log"; fi; }
kafka_node_marker() { if (($1 == 1)); then echo "$K_MARKER"; else echo "$K_MARKER/node-$1"; fi; }
kafka_node_name() { if ((KAFKA_BROKERS == 1)); then echo kafka; else echo "kafka-$1"; fi; }
es_node_port() { echo $((ES_PORT + $1 - 1)); }
es_node_tport() { echo $((ES_TRANSPORT_PORT + $1 - 1)); }
es_node_dir() { if (($1 == 1)); then echo "$E_DIR"; else echo "$E_DIR/node-$1"; fi; }
es_node_pidfile() { if (($1 == 1)); then echo "$E_PID"; else echo "$E_DIR/node-$1/es.pid"; fi; }
es_node_marker() { if (($1 == 1)); then echo "$E_MARKER"; else echo "$E_MARKER/node-$1"; fi; }
es_node_name() { if ((ES_NODES == 1)); then echo elasticsearch; else echo "elasticsearch-$1"; fi; }
# Replication of the internal topics: 3 with three brokers or more (min.insync.replicas 2), else one per broker.
kafka_replication() { if ((KAFKA_BROKERS >= 3)); then echo 3; else echo "$KAFKA_BROKERS"; fi; }
kafka_min_isr() { if ((KAFKA_BROKERS >= 3)); then echo 2; else echo 1; fi; }

# Versions are needed only by commands that touch the artifacts.
init_versions() {
  KAFKA_VERSION=$(pom_property kafka.version)
  ES_VERSION=$(pom_property elasticsearch.version)
  K_CP_FILE="$K_DIR/classpath-$KAFKA_VERSION.txt"
  E_HOME="$E_DIR/home-$ES_VERSION"
}

require_cmd() {
  local cmd=$1 hint=$2
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not installed; $hint"
}

# One 'up'/'down' at a time per state folder. The lock fd (9) is closed for the
# daemons we start, otherwise they would hold the lock forever.
take_lock() {
  mkdir -p "$BULWARK_HOME"
  exec 9>"$BULWARK_HOME/.stack.lock"
  if ! flock -n 9; then
    say "another stack.sh is working on $BULWARK_HOME; waiting for it..."
    flock -w 600 9 || die "could not lock $BULWARK_HOME/.stack.lock"
  fi
}

# ----------------------------------------------------------------------------
# Process and port helpers
# ----------------------------------------------------------------------------

# True if $1 is a live process whose command line contains the exact argument $2.
pid_has_arg() {
  local pid=$1 arg=$2
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$arg"
}

# Prints the pid of our process for a component (pid file first, then a /proc
# scan for the marker argument, which also covers a lost or stale pid file).
find_pid() {
  local pidfile=$1 marker=$2 pid=""
  [[ -f $pidfile ]] && pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
  if [[ -n $pid ]] && pid_has_arg "$pid" "$marker"; then
    printf '%s' "$pid"; return 0
  fi
  pid=$(pids_with_arg -x "$marker" | head -n1)
  [[ -n $pid ]] || return 1
  printf '%s' "$pid"
}

# pids_with_arg -x ARG: processes having exactly ARG as one argument;
# pids_with_arg -s TEXT: processes having TEXT inside one argument.
# The pattern is passed through a file descriptor, not argv, so grep does not
# find itself.
pids_with_arg() {
  local mode=$1 text=$2 opts=-lzF
  [[ $mode == -x ]] && opts=-lzxF
  { grep "$opts" -f <(printf '%s' "$text") /proc/[0-9]*/cmdline 2>/dev/null || true; } \
    | sed -n 's#^/proc/\([0-9]*\)/cmdline$#\1#p'
}

port_open() { # port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1
}

port_owner() { # best effort description of the process listening on a port
  local port=$1 line
  command -v ss >/dev/null 2>&1 || return 0
  line=$(ss -ltnpH "( sport = :$port )" 2>/dev/null | head -n1 || true)
  [[ $line =~ users:\(\(\"([^\"]*)\",pid=([0-9]+) ]] || return 0
  printf ' (process "%s", pid %s)' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

ensure_port_free() { # ensure_port_free PORT WHAT ENVVAR
  local port=$1 what=$2 var=$3
  if port_open "$port"; then
    die "port $port ($what) on 127.0.0.1 is already in use by something that is not this stack$(port_owner "$port").
        Stop that process, or pick another port with $var=<port> (state folder: $BULWARK_HOME)."
  fi
}

# Sends SIGTERM to all given pids, waits up to STOP_TIMEOUT, then SIGKILLs the rest.
terminate_pids() {
  local pids=("$@") alive waited=0 p
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  while :; do
    alive=()
    for p in "${pids[@]}"; do
      # A zombie (dead but not reaped) counts as gone.
      if kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]]; then
        alive+=("$p")
      fi
    done
    ((${#alive[@]})) || return 0
    if ((waited >= STOP_TIMEOUT)); then
      say "still running after ${STOP_TIMEOUT}s, sending SIGKILL to ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 1
      return 0
    fi
    sleep 1; waited=$((waited + 1))
    if ((waited % 10 == 0)); then say "waiting for ${alive[*]} to exit ... ${waited}s"; fi
  done
}

java_major() { # java_major JAVA_BIN -> major version number
  local v
  v=$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  v=${v#1.}
  printf '%s' "${v%%[.+-]*}"
}

# ----------------------------------------------------------------------------
# Fetching (Maven)
# ----------------------------------------------------------------------------
kafka_classpath_ok() {
  [[ -s $K_CP_FILE ]] || return 1
  local jar jars
  IFS=: read -r -a jars <"$K_CP_FILE"
  for jar in "${jars[@]}"; do [[ -f $jar ]] || return 1; done
}

es_unpacked() { [[ -f $E_HOME/.bulwark-unpacked && -x $E_HOME/bin/elasticsearch ]]; }

# One Maven run fetches whatever is missing (saves one Maven start-up).
fetch_artifacts() {
  local goals=() need_es=false
  mkdir -p "$K_DIR" "$E_DIR"
  if ! kafka_classpath_ok; then
    say "fetching Kafka $KAFKA_VERSION via Maven (cached after the first run)..."
    goals+=("dependency:build-classpath@kafka-classpath")
  fi
  if ! es_unpacked; then
    say "fetching Elasticsearch $ES_VERSION via Maven (cached after the first run)..."
    goals+=("dependency:copy@elasticsearch-zip")
    need_es=true
  fi
  ((${#goals[@]})) || return 0

  require_cmd mvn "install Maven (apt-get install maven)"
  local dl="$BULWARK_HOME/downloads" mvnlog="$BULWARK_HOME/maven.log" t0=$SECONDS
  mkdir -p "$dl"
  if ! mvn -B -q -f "$ARTIFACTS_POM" "${goals[@]}" \
        -Dbulwark.stack.classpathFile="$K_CP_FILE.tmp" \
        -Dbulwark.stack.downloadDir="$dl" >"$mvnlog" 2>&1 </dev/null; then
    tail -n 30 "$mvnlog" >&2 || true
    die "Maven could not fetch the stack artifacts (full output: $mvnlog).
        Check that Maven Central is reachable and that $REPO_ROOT/pom.xml is valid."
  fi
  if [[ -f $K_CP_FILE.tmp ]]; then mv -f "$K_CP_FILE.tmp" "$K_CP_FILE"; fi
  kafka_classpath_ok || die "Maven did not produce a usable Kafka classpath ($K_CP_FILE); see $mvnlog"

  if $need_es; then
    local zip="$dl/elasticsearch-$ES_VERSION.zip" tmp="$E_DIR/unpack.tmp"
    [[ -f $zip ]] || die "Maven did not produce $zip (is <elasticsearch.version> a literal in the root pom?)"
    require_cmd unzip "install it (apt-get install unzip)"
    say "unpacking Elasticsearch $ES_VERSION into $E_HOME"
    rm -rf "$tmp" "$E_HOME"
    mkdir -p "$tmp"
    unzip -q "$zip" -d "$tmp"
    [[ -d $tmp/elasticsearch-$ES_VERSION ]] || die "unexpected layout in $zip"
    mv "$tmp/elasticsearch-$ES_VERSION" "$E_HOME"
    rm -rf "$tmp" "$zip"
    touch "$E_HOME/.bulwark-unpacked"
  fi
  rmdir "$dl" 2>/dev/null || true
  say "fetched in $((SECONDS - t0))s"
}

# ----------------------------------------------------------------------------
# Kafka
# ----------------------------------------------------------------------------
# Resolves the JVM for Kafka once per run into KAFKA_JAVA ($JAVA_HOME, else PATH).
KAFKA_JAVA=""
init_kafka_java() {
  [[ -z $KAFKA_JAVA ]] || return 0
  local java
  if [[ -n ${JAVA_HOME:-} ]]; then java="$JAVA_HOME/bin/java"; else java=$(command -v java || true); fi
  [[ -n $java && -x $java ]] || die "no Java found for Kafka: install a JDK >= 17 (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
  local major; major=$(java_major "$java")
  if [[ ! $major =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Kafka $KAFKA_VERSION needs Java >= 17, but $java is version '$major'; set JAVA_HOME to a JDK >= 17"
  fi
  KAFKA_JAVA=$java
}

heap_opts() { # a size ("512m") becomes "-Xms512m -Xmx512m"; options are used as given
  if [[ $1 == -* ]]; then printf '%s' "$1"; else printf -- '-Xms%s -Xmx%s' "$1" "$1"; fi
}

# ----------------------------------------------------------------------------
# Secure mode: a CA, the broker's certificate, one SCRAM user per component
# ----------------------------------------------------------------------------

kafka_secure() { [[ -f $S_MARK ]]; }

random_secret() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

credential() { # credential COMPONENT FIELD -> its value in the credentials file
  sed -n "s/^$1\.$2=//p" "$S_CREDENTIALS"
}

# Creates the CA, the broker keystore (SAN 127.0.0.1 and localhost) and the users' credentials, once.
secure_init() {
  local keytool; keytool="$(dirname "$KAFKA_JAVA")/keytool"
  [[ -x $keytool ]] || keytool=$(command -v keytool) || die "keytool not found: install a JDK (it ships keytool)"
  (umask 077; mkdir -p "$S_DIR")
  chmod 700 "$S_DIR"
  [[ -f $S_STORE_PASS ]] || (umask 077; random_secret >"$S_STORE_PASS")
  local pass; pass=$(<"$S_STORE_PASS")
  if [[ ! -f $S_CA_P12 ]]; then
    say "creating a local CA in $S_DIR"
    "$keytool" -genkeypair -alias ca -dname "CN=Bulwark local CA" -ext bc:c -keyalg RSA -keysize 2048 -validity 825 \
      -keystore "$S_CA_P12" -storetype PKCS12 -storepass "$pass" >/dev/null 2>&1 || die "keytool could not create the CA"
    "$keytool" -exportcert -rfc -alias ca -keystore "$S_CA_P12" -storepass "$pass" >"$S_CA_PEM" 2>/dev/null
  fi
  if [[ ! -f $S_BROKER_P12 ]]; then
    say "creating the broker's certificate in $S_DIR"
    "$keytool" -genkeypair -alias broker -dname "CN=bulwark-broker" -keyalg RSA -keysize 2048 -validity 825 \
      -keystore "$S_BROKER_P12" -storetype PKCS12 -storepass "$pass" >/dev/null 2>&1 \
      || die "keytool could not create the broker's key"
    "$keytool" -certreq -alias broker -keystore "$S_BROKER_P12" -storepass "$pass" 2>/dev/null \
      | "$keytool" -gencert -alias ca -keystore "$S_CA_P12" -storepass "$pass" -validity 825 -rfc \
          -ext "SAN=ip:127.0.0.1,dns:localhost" -ext "EKU=serverAuth,clientAuth" >"$S_DIR/kafka-broker.pem" 2>/dev/null
    "$keytool" -importcert -noprompt -alias ca -file "$S_CA_PEM" -keystore "$S_BROKER_P12" -storepass "$pass" \
      >/dev/null 2>&1
    "$keytool" -importcert -alias broker -file "$S_DIR/kafka-broker.pem" -keystore "$S_BROKER_P12" \
      -storepass "$pass" >/dev/null 2>&1 || die "keytool could not import the broker's signed certificate"
  fi
  if [[ ! -f $S_CREDENTIALS ]]; then
    (umask 077
     {
       echo "# SCRAM users of the local secured broker, one per component (kafka.security.credentialsFile)."
       for component in admin ingest detectors sink rules context api notify; do
         echo "$component.username=bulwark-$component"
         echo "$component.password=$(random_secret)"
       done
     } >"$S_CREDENTIALS")
  fi
  kafka_client_certs
  chmod 600 "$S_DIR"/*
}

# A client certificate per component (CN=bulwark-<component>, the same principal as its SCRAM user) for the
# mutual-TLS listener, and the credentials file naming them, once.
kafka_client_certs() {
  [[ -f $S_MTLS_CREDENTIALS ]] && return 0
  require_cmd openssl "install it (apt-get install openssl)"
  local pass; pass=$(<"$S_STORE_PASS")
  say "creating a client certificate per component in $S_DIR"
  (umask 077
   openssl pkcs12 -in "$S_CA_P12" -nocerts -nodes -passin "pass:$pass" 2>/dev/null \
     | openssl pkey -out "$S_DIR/ca.key" 2>/dev/null || die "openssl could not read the local CA's key"
   printf 'extendedKeyUsage=clientAuth\n' >"$S_DIR/client.ext"
   {
     echo "# Client certificates for the local secured broker's mutual-TLS listener (kafka.security.credentialsFile"
     echo "# with kafka.security.protocol SSL), one per component; paths are relative to this file."
     for component in admin ingest detectors sink rules context api notify; do
       openssl req -new -newkey rsa:2048 -nodes -keyout "$S_DIR/kafka-$component.key" -subj "/CN=bulwark-$component" \
         -out "$S_DIR/kafka-$component.csr" 2>/dev/null || die "openssl could not create the $component key"
       openssl x509 -req -in "$S_DIR/kafka-$component.csr" -CA "$S_CA_PEM" -CAkey "$S_DIR/ca.key" -CAcreateserial \
         -days 825 -extfile "$S_DIR/client.ext" -out "$S_DIR/kafka-$component.crt" 2>/dev/null \
         || die "openssl could not sign the $component certificate"
       rm -f "$S_DIR/kafka-$component.csr"
       echo "$component.certFile=kafka-$component.crt"
       echo "$component.keyFile=kafka-$component.key"
     done
   } >"$S_MTLS_CREDENTIALS.tmp" && mv "$S_MTLS_CREDENTIALS.tmp" "$S_MTLS_CREDENTIALS"
   rm -f "$S_DIR/client.ext" "$S_DIR/ca.key" "$S_DIR/ca.srl")
  chmod 600 "$S_DIR"/*
}


# ----------------------------------------------------------------------------
# Secure mode for Elasticsearch: HTTPS with a certificate of the local CA, security on, an admin in the file realm
# ----------------------------------------------------------------------------

es_secure() { [[ -f $S_ES_MARK ]]; }

# The node's HTTP certificate (signed by the local CA of secure_init) and the admin user's password, once.
es_secure_init() {
  require_cmd openssl "install it (apt-get install openssl)"
  local pass; pass=$(<"$S_STORE_PASS")
  if [[ ! -f $S_DIR/es-http.crt ]]; then
    say "creating Elasticsearch's HTTP certificate in $S_DIR"
    (umask 077
     openssl pkcs12 -in "$S_CA_P12" -nocerts -nodes -passin "pass:$pass" 2>/dev/null \
       | openssl pkey -out "$S_DIR/ca.key" 2>/dev/null || die "openssl could not read the local CA's key"
     openssl req -new -newkey rsa:2048 -nodes -keyout "$S_DIR/es-http.key" -subj "/CN=bulwark-es" \
       -out "$S_DIR/es-http.csr" 2>/dev/null || die "openssl could not create Elasticsearch's key"
     printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$S_DIR/es-http.ext"
     openssl x509 -req -in "$S_DIR/es-http.csr" -CA "$S_CA_PEM" -CAkey "$S_DIR/ca.key" -CAcreateserial -days 825 \
       -extfile "$S_DIR/es-http.ext" -out "$S_DIR/es-http.crt" 2>/dev/null || die "openssl could not sign Elasticsearch's certificate"
     rm -f "$S_DIR/es-http.csr" "$S_DIR/es-http.ext" "$S_DIR/ca.key" "$S_DIR/ca.srl")
  fi
  if [[ ! -f $S_ES_CREDENTIALS ]]; then
    (umask 077
     {
       echo "# Users of the local Elasticsearch (file realm): the superuser, and one per role (elasticsearch.credentialsFile)."
       echo "admin.username=bulwark-es-admin"
       echo "admin.password=$(random_secret)"
       for role in sink api; do
         echo "$role.username=bulwark-$role"
         echo "$role.password=$(random_secret)"
       done
     } >"$S_ES_CREDENTIALS")
  fi
  (umask 077; printf 'user = "%s:%s"\n' "$(es_credential admin username)" "$(es_credential admin password)" >"$S_DIR/es-curl.conf")
  chmod 600 "$S_DIR"/*
}

es_credential() { # es_credential COMPONENT FIELD
  sed -n "s/^$1\.$2=//p" "$S_ES_CREDENTIALS"
}

# curl options for the node: its CA and the admin user when secured.
es_curl_opts() {
  if es_secure; then printf '%s\0' --cacert "$S_CA_PEM" -K "$S_DIR/es-curl.conf"; fi
}

# The broker's settings for TLS, SCRAM and the authorizer (appended to server.properties).
kafka_secure_config() {
  local pass; pass=$(<"$S_STORE_PASS")
  cat <<EOF
# Secured: TLS everywhere, SCRAM users on the client listener, client certificates on the MTLS listener and the
# controller listener, deny-by-default authorization (StandardAuthorizer). No plaintext listener.
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL,MTLS:SSL
listener.name.mtls.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$(credential admin username)" password="$(credential admin password)";
ssl.keystore.type=PKCS12
ssl.keystore.location=$S_BROKER_P12
ssl.keystore.password=$pass
ssl.key.password=$pass
ssl.truststore.type=PEM
ssl.truststore.location=$S_CA_PEM
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:bulwark-broker;User:$(credential admin username)
EOF
}

# The properties of broker i (combined broker and controller). One broker: a standalone controller quorum. Several:
# a static quorum of all of them, internal topics replicated 3 ways with min.insync.replicas 2.
kafka_node_config() {
  local i=$1 port cport rf isr quorum j
  port=$(kafka_node_port "$i"); cport=$(kafka_node_cport "$i"); rf=$(kafka_replication); isr=$(kafka_min_isr)
  if ((KAFKA_BROKERS == 1)); then
    quorum="controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT"
  else
    quorum="controller.quorum.voters="
    for ((j = 1; j <= KAFKA_BROKERS; j++)); do quorum+="$(when "j > 1" ,)$j@127.0.0.1:$(kafka_node_cport "$j")"; done
  fi
  cat <<EOF
# Generated by deploy/local/stack.sh on every 'up'; edits are overwritten.
process.roles=broker,controller
node.id=$i
$quorum
controller.listener.names=CONTROLLER
log.dirs=$(kafka_node_data "$i")
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
EOF
  if kafka_secure; then
    kafka_secure_config
  else
    cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
  fi
}

kafka_write_config() {
  local i props
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    props=$(kafka_node_props "$i")
    mkdir -p "$(kafka_node_data "$i")"
    (umask 077; kafka_node_config "$i" >"$props.tmp")
    mv -f "$props.tmp" "$props"
  done

  cat >"$K_LOG4J" <<EOF
# Broker logging (log4j2), generated by stack.sh.
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $K_LOG
appender.file.filePattern = $K_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  for ((i = 2; i <= KAFKA_BROKERS; i++)); do # each broker its own log file
    sed "s#$K_LOG#$(kafka_node_log "$i")#g" "$K_LOG4J" >"$(kafka_node_dir "$i")/log4j2.properties"
  done

  cat >"$K_TOOLS_LOG4J" <<'EOF'
# Logging for Kafka command line tools run by stack.sh: warnings to stderr only.
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF

  # Short timeouts so the health check fails fast instead of hanging.
  (umask 077; cat >"$K_TOOLS_CLIENT" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=8000
EOF
  )
  if kafka_secure; then
    cat >>"$K_TOOLS_CLIENT" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$(credential admin username)" password="$(credential admin password)";
ssl.truststore.type=PEM
ssl.truststore.location=$S_CA_PEM
EOF
  fi
}

# Runs a Kafka class with the cached classpath (tools logging, small heap).
kafka_run_tool() {
  "$KAFKA_JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$K_TOOLS_LOG4J" \
    -cp "$(<"$K_CP_FILE")" "$@"
}

kafka_format_if_needed() {
  local i
  for ((i = 2; i <= KAFKA_BROKERS; i++)); do kafka_format_node "$i"; done
  [[ -f $K_DATA/meta.properties ]] && return 0
  say "formatting Kafka storage (KRaft, $(when "KAFKA_BROKERS == 1" "standalone controller")$(when "KAFKA_BROKERS > 1" "$KAFKA_BROKERS controllers")) in $K_DATA"
  local cluster_id
  cluster_id=$(kafka_cluster_id)
  local scram=()
  if kafka_secure; then
    for component in admin ingest detectors sink rules context api notify; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$(credential "$component" username),password=$(credential "$component" password)]")
    done
  fi
  local standalone=(--standalone)
  ((KAFKA_BROKERS == 1)) || standalone=()
  if ! kafka_run_tool kafka.tools.StorageTool format "${standalone[@]}" -t "$cluster_id" -c "$K_PROPS" "${scram[@]}" \
        >"$K_DIR/format.log" 2>&1 </dev/null; then
    cat "$K_DIR/format.log" >&2
    die "formatting Kafka storage failed (see $K_DIR/format.log)"
  fi
  printf 'cluster.id=%s\nformatted=%s\n' "$cluster_id" "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >"$K_FORMAT_INFO"
}

# One cluster id for every broker of the stack, made once.
kafka_cluster_id() {
  local file="$K_DIR/cluster.id" id
  if [[ ! -s $file ]]; then
    id=$(kafka_run_tool kafka.tools.StorageTool random-uuid </dev/null | tail -n1 | tr -d '[:space:]')
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a Kafka cluster id (got '$id')"
    printf '%s\n' "$id" >"$file"
  fi
  tr -d '[:space:]' <"$file"
}

kafka_format_node() { # broker i >= 2 of a multi-broker stack
  local i=$1 data; data=$(kafka_node_data "$i")
  [[ -f $data/meta.properties ]] && return 0
  say "formatting Kafka storage of broker $i in $data"
  if ! kafka_run_tool kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$(kafka_node_props "$i")" \
        >"$(kafka_node_dir "$i")/format.log" 2>&1 </dev/null; then
    cat "$(kafka_node_dir "$i")/format.log" >&2
    die "formatting Kafka storage of broker $i failed (see $(kafka_node_dir "$i")/format.log)"
  fi
}

kafka_start() {
  kafka_secure && kafka_client_certs   # a stack secured before the mutual-TLS listener existed
  kafka_write_config
  kafka_format_if_needed
  local i dir log4j
  for i in "${KAFKA_START_NODES[@]}"; do
    dir=$(kafka_node_dir "$i"); log4j=$K_LOG4J
    ((i == 1)) || log4j="$dir/log4j2.properties"
    say "starting Kafka $KAFKA_VERSION broker $i on 127.0.0.1:$(kafka_node_port "$i") (log: $(kafka_node_log "$i"))"
    printf '\n===== %s starting Kafka =====\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >>"$(kafka_node_out "$i")"
    # setsid+nohup: own session, no controlling terminal; stdin/stdout/stderr are
    # files so the caller's pipes are not held open; fd 9 (our lock) is closed.
    # (setsid does not fork here because a background job is not a group leader,
    # so $! is the JVM's pid; the /proc marker check below double-checks.)
    # shellcheck disable=SC2046  # heap options are intentionally word-split
    setsid nohup "$KAFKA_JAVA" $(heap_opts "$KAFKA_HEAP") \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
      -XX:HeapDumpPath="$dir" -XX:ErrorFile="$dir/hs_err_pid%p.log" \
      -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$log4j" -Dkafka.logs.dir="$dir" \
      "$(kafka_node_marker "$i")" \
      -cp "$(<"$K_CP_FILE")" kafka.Kafka "$(kafka_node_props "$i")" \
      >>"$(kafka_node_out "$i")" 2>&1 </dev/null 9>&- &
    echo $! >"$(kafka_node_pidfile "$i")"
  done
}

# Healthy = the port accepts connections and the broker answers an ApiVersions
# request (fast, needs no topic). Bounded by 'timeout' and short client timeouts.
kafka_health_probe() {
  [[ -n $KAFKA_JAVA ]] || return 1
  timeout 25 "$KAFKA_JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$K_TOOLS_LOG4J" -cp "$(<"$K_CP_FILE")" \
    org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$K_TOOLS_CLIENT" \
    </dev/null 2>/dev/null | { if ((KAFKA_BROKERS == 1)); then grep -q "^$KAFKA_BOOTSTRAP"; else
      [[ $(grep -c "^127\.0\.0\.1:[0-9]* (id: [0-9]* rack" || true) -eq $KAFKA_BROKERS ]]; fi; }
}
kafka_healthy() { port_open "$KAFKA_PORT" && kafka_health_probe; }

# ----------------------------------------------------------------------------
# Elasticsearch
# ----------------------------------------------------------------------------

# Highest JDK >= 21 among $BULWARK_ES_JAVA_HOME (if set: only that one),
# /usr/lib/jvm/* and $JAVA_HOME, judged by the JDK's 'release' file.
es_find_jdk() {
  local candidates=() dir best="" best_major=0 v major
  if [[ -n ${BULWARK_ES_JAVA_HOME:-} ]]; then
    candidates=("$BULWARK_ES_JAVA_HOME")
  else
    candidates=(/usr/lib/jvm/*)
    [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME")
  fi
  for dir in "${candidates[@]}"; do
    [[ -d $dir && -x $dir/bin/java && -f $dir/release ]] || continue
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$dir/release" | head -n1)
    v=${v#1.}; major=${v%%[.+-]*}
    [[ $major =~ ^[0-9]+$ ]] || continue
    if ((major >= 21 && major > best_major)); then best=$(realpath "$dir"); best_major=$major; fi
  done
  if [[ -z $best ]]; then
    if [[ -n ${BULWARK_ES_JAVA_HOME:-} ]]; then
      die "BULWARK_ES_JAVA_HOME=$BULWARK_ES_JAVA_HOME is not a JDK >= 21 (needs bin/java and a 'release' file)"
    fi
    die "Elasticsearch $ES_VERSION needs a JDK >= 21 and none was found under /usr/lib/jvm or \$JAVA_HOME.
        Install one (e.g. apt-get install openjdk-21-jdk-headless, or a Temurin 21/25 package),
        or set BULWARK_ES_JAVA_HOME=/path/to/jdk."
  fi
  printf '%s' "$best"
}

# Command prefix that runs a command as the Elasticsearch user (it refuses root).
es_as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    printf '%s\0' setpriv --reuid="$ES_USER" --regid="$(id -g "$ES_USER")" --init-groups
  fi
}

# As root: make sure the ES user exists and can reach the state folder. Runs
# before anything is fetched, so a bad BULWARK_HOME fails fast.
es_check_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  if ! id -u "$ES_USER" >/dev/null 2>&1; then
    require_cmd useradd "install the 'passwd' package"
    say "creating system user '$ES_USER' to run Elasticsearch (it refuses to run as root)"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" 2>/dev/null \
      || id -u "$ES_USER" >/dev/null 2>&1 \
      || die "could not create the system user '$ES_USER' (set BULWARK_ES_USER to an existing non-root user)"
  fi
  [[ $(id -u "$ES_USER") -ne 0 ]] || die "BULWARK_ES_USER must not be root (Elasticsearch refuses to run as root)"
  chmod o+x "$BULWARK_HOME" 2>/dev/null || true
  local -a as_user; mapfile -d '' as_user < <(es_as_user)
  local p="" part
  IFS=/ read -r -a parts <<<"${BULWARK_HOME#/}"
  for part in "${parts[@]}"; do
    p="$p/$part"
    if ! "${as_user[@]}" test -x "$p"; then
      die "user '$ES_USER' (which runs Elasticsearch) cannot enter $p ($(stat -c '%A %U' "$p")).
        Move the state folder (BULWARK_HOME=/some/where) or make the parents traversable (chmod o+x $p)."
    fi
  done
}

# As root: hand the Elasticsearch folders to the ES user.
es_prepare_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  local owner d
  # The home is chowned once after unpacking; the top dirs are cheap to check.
  for d in "$E_DIR" "$E_DATA" "$E_LOGS" "$E_TMP"; do
    mkdir -p "$d"
    owner=$(stat -c %U "$d")
    [[ $owner == "$ES_USER" ]] || chown "$ES_USER:" "$d"
  done
  owner=$(stat -c %U "$E_HOME/config")
  [[ $owner == "$ES_USER" ]] || chown -R "$ES_USER:" "$E_HOME"
  local -a as_user; mapfile -d '' as_user < <(es_as_user)
  "${as_user[@]}" test -r "$E_HOME/bin/elasticsearch" -a -w "$E_DATA" \
    || die "user '$ES_USER' cannot read $E_HOME or write $E_DATA; check their permissions"
}

# Discovery: single-node for one node; else node 1 is the only master-eligible node (it bootstraps the cluster) and
# the others hold data, so a drill can kill a data node without losing the elected master.
es_discovery_config() {
  local i=$1 j seeds=""
  if ((ES_NODES == 1)); then echo "discovery.type: single-node"; return; fi
  for ((j = 1; j <= ES_NODES; j++)); do seeds+="${seeds:+, }\"127.0.0.1:$(es_node_tport "$j")\""; done
  echo "discovery.seed_hosts: [$seeds]"
  if ((i == 1)); then echo "cluster.initial_master_nodes: [\"bulwark-local-1\"]"; else echo "node.roles: [data, ingest]"; fi
}

# Elasticsearch node i >= 2: its own config folder (a copy of node 1's), data, logs and temp folders.
es_write_node_config() {
  local i=$1 dir; dir=$(es_node_dir "$i")
  mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
  rm -rf "$dir/config"; cp -r "$E_HOME/config" "$dir/config"
  {
    echo "# Generated by deploy/local/stack.sh on every 'up'; edits are overwritten."
    echo "cluster.name: bulwark-local"
    echo "node.name: bulwark-local-$i"
    echo "network.host: 127.0.0.1"
    echo "http.port: $(es_node_port "$i")"
    echo "transport.port: $(es_node_tport "$i")"
    es_discovery_config "$i"
    echo "path.data: $dir/data"
    echo "path.logs: $dir/logs"
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.destructive_requires_name: false"
    [[ -d $E_HOME/modules/x-pack-security ]] && echo "xpack.security.enabled: false"
    true
  } >"$dir/config/elasticsearch.yml"
  sed -i "s#^-XX:HeapDumpPath=.*#-XX:HeapDumpPath=$dir/logs#; s#^-XX:ErrorFile=.*#-XX:ErrorFile=$dir/logs/hs_err_pid%p.log#" \
    "$dir/config/jvm.options.d/bulwark.options"
  [[ $(id -u) -ne 0 ]] || chown -R "$ES_USER:" "$dir"
}

es_write_config() {
  local conf="$E_HOME/config"
  mkdir -p "$E_DATA" "$E_LOGS" "$E_TMP" "$conf/jvm.options.d"
  {
    echo "# Generated by deploy/local/stack.sh on every 'up'; edits are overwritten."
    echo "cluster.name: bulwark-local"
    echo "node.name: bulwark-local-1"
    echo "network.host: 127.0.0.1"
    echo "http.port: $ES_PORT"
    echo "transport.port: $ES_TRANSPORT_PORT"
    es_discovery_config 1
    echo "path.data: $E_DATA"
    echo "path.logs: $E_LOGS"
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.destructive_requires_name: false"
    if es_secure; then
      echo "xpack.security.enabled: true"
      echo "xpack.security.http.ssl.enabled: true"
      echo "xpack.security.http.ssl.key: certs/es-http.key"
      echo "xpack.security.http.ssl.certificate: certs/es-http.crt"
      echo "xpack.security.http.ssl.certificate_authorities: [certs/ca.pem]"
      echo "xpack.security.authc.api_key.enabled: true"
    elif [[ -d $E_HOME/modules/x-pack-security ]]; then
      # Only valid when the security module ships in the distribution.
      echo "xpack.security.enabled: false"
    fi
    true
  } >"$conf/elasticsearch.yml"
  {
    echo "# Generated by deploy/local/stack.sh (BULWARK_ES_HEAP)."
    heap_opts "$ES_HEAP" | tr ' ' '\n'; echo
    echo "-XX:HeapDumpPath=$E_LOGS"
    echo "-XX:ErrorFile=$E_LOGS/hs_err_pid%p.log"
  } >"$conf/jvm.options.d/bulwark.options"
  [[ $(id -u) -ne 0 ]] || chown "$ES_USER:" "$conf/elasticsearch.yml" "$conf/jvm.options.d/bulwark.options"
  if es_secure; then
    mkdir -p "$conf/certs"
    cp "$S_DIR/es-http.key" "$S_DIR/es-http.crt" "$S_CA_PEM" "$conf/certs/"
    chmod 600 "$conf/certs/"*
    [[ $(id -u) -ne 0 ]] || chown -R "$ES_USER:" "$conf/certs"
    # Bulwark's roles for any index prefix ending in -findings (and its -compliance and -shadow-findings indices): the text of 'bulwark
    # security es-roles' for the prefix '*-findings' (KafkaAclsTest keeps them equal). File-based roles, so the stack's users work from the first
    # start; 'bulwark security es-setup' can add native ones (es_install_security_analysis).
    cat >"$conf/roles.yml" <<'ROLES'
# Bulwark's roles (bulwark security es-roles): the sink writes findings, compliance snapshots, shadow findings, entity risk and incidents, the API reads them (and triages findings and incidents).
bulwark_sink:
  cluster: [manage_index_templates, monitor]
  indices:
    - names: ["*-findings*"]
      privileges: [create_index, write, manage, view_index_metadata]
    - names: ["*-compliance*"]
      privileges: [create_index, write, manage, view_index_metadata]
    - names: ["*-shadow-findings*"]
      privileges: [create_index, write, manage, view_index_metadata]
    - names: ["*-entities*"]
      privileges: [create_index, write, manage, view_index_metadata]
    - names: ["*-incidents*"]
      privileges: [create_index, write, manage, view_index_metadata]
bulwark_api:
  cluster: [monitor]
  indices:
    - names: ["*-findings*"]
      privileges: [read, view_index_metadata, index]
    - names: ["*-compliance*"]
      privileges: [read, view_index_metadata]
    - names: ["*-shadow-findings*"]
      privileges: [read, view_index_metadata]
    - names: ["*-entities*"]
      privileges: [read, view_index_metadata]
    - names: ["*-incidents*"]
      privileges: [read, view_index_metadata, index]
ROLES
    [[ $(id -u) -ne 0 ]] || chown "$ES_USER:" "$conf/roles.yml"
    es_install_security_analysis
    # The superuser in the file realm (users and users_roles under config/), written again on every start.
    local -a as_user; mapfile -d '' as_user < <(es_as_user)
    local jdk; jdk=$(es_find_jdk)
    "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" ES_JAVA_HOME="$jdk" ES_PATH_CONF="$conf" \
      "$E_HOME/bin/elasticsearch-users" userdel "$(es_credential admin username)" >/dev/null 2>&1 || true
    "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" ES_JAVA_HOME="$jdk" ES_PATH_CONF="$conf" \
      "$E_HOME/bin/elasticsearch-users" useradd "$(es_credential admin username)" -r superuser \
      -p "$(es_credential admin password)" >/dev/null 2>&1 || die "elasticsearch-users could not create the admin user"
    local role
    for role in sink api; do
      "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" ES_JAVA_HOME="$jdk" ES_PATH_CONF="$conf" \
        "$E_HOME/bin/elasticsearch-users" userdel "$(es_credential $role username)" >/dev/null 2>&1 || true
      "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" ES_JAVA_HOME="$jdk" ES_PATH_CONF="$conf" \
        "$E_HOME/bin/elasticsearch-users" useradd "$(es_credential $role username)" -r "bulwark_$role" \
        -p "$(es_credential $role password)" >/dev/null 2>&1 || die "elasticsearch-users could not create the $role user"
    done
  fi
}

# The integration-test distribution lacks the analysis-common module, and the security index (the native realm:
# users, roles and API keys made through the API, as 'bulwark security es-setup' does) needs three of its analysis
# components. deploy/local/es-security-analysis provides them as a stable analysis plugin over Lucene's own classes,
# compiled here against the distribution's plugin API and installed once. A full distribution needs none of this.
es_install_security_analysis() {
  local name=bulwark-security-analysis
  [[ -d $E_HOME/plugins/$name ]] && return 0
  local jdk; jdk=$(es_find_jdk)
  [[ -x $jdk/bin/javac && -x $jdk/bin/jar ]] || die "$jdk has no javac: Elasticsearch's security index needs a" \
    "plugin compiled here; set BULWARK_ES_JAVA_HOME to a JDK >= 21 (not a JRE)"
  local build="$E_DIR/$name.build"
  rm -rf "$build"; mkdir -p "$build/classes" "$build/zip"
  say "compiling and installing the $name plugin (analysis components for the native realm)"
  "$jdk/bin/javac" -nowarn --release 21 -d "$build/classes" -cp "$E_HOME/lib/*" \
    "$REPO_ROOT"/deploy/local/es-security-analysis/dev/bulwark/esanalysis/*.java >"$build/javac.log" 2>&1 \
    || { cat "$build/javac.log" >&2; die "could not compile the $name plugin (log above)"; }
  "$jdk/bin/jar" --create --no-manifest --file "$build/zip/$name.jar" -C "$build/classes" . || die "jar failed"
  cp "$REPO_ROOT"/deploy/local/es-security-analysis/named_components.json "$build/zip/"
  printf '%s\n' "description=Analysis components of the security index (pattern_capture, uax_url_email, unique)" \
    "version=1.0" "name=$name" "java.version=21" "elasticsearch.version=$ES_VERSION" \
    >"$build/zip/stable-plugin-descriptor.properties"
  (cd "$build/zip" && "$jdk/bin/jar" --create --no-manifest --file "$build/$name.zip" .) || die "jar failed"
  chmod -R a+rX "$build"
  [[ $(id -u) -ne 0 ]] || chown -R "$ES_USER:" "$E_HOME/plugins"
  local -a as_user; mapfile -d '' as_user < <(es_as_user)
  "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" ES_JAVA_HOME="$jdk" \
    "$E_HOME/bin/elasticsearch-plugin" install --batch "file://$build/$name.zip" >"$build/install.log" 2>&1 \
    || { cat "$build/install.log" >&2; die "could not install the $name plugin (log above)"; }
  rm -rf "$build"
}

es_start() {
  local jdk; jdk=$(es_find_jdk)
  es_prepare_user
  es_write_config
  local i conf tmp out pidfile
  for ((i = 2; i <= ES_NODES; i++)); do es_write_node_config "$i"; done
  for i in "${ES_START_NODES[@]}"; do
    conf="$E_HOME/config" tmp=$E_TMP out=$E_OUT pidfile=$(es_node_pidfile "$i")
    if ((i > 1)); then conf="$(es_node_dir "$i")/config" tmp="$(es_node_dir "$i")/tmp" out="$(es_node_dir "$i")/es.out"; fi
    rm -f "$pidfile"
    # The launcher probes JVM flags in "final-flags*" temp dirs and leaves them behind
    # (the distribution's relative gc.log path lands there); CLI_JAVA_OPTS below keeps
    # them in our tmp folder, and they are cleared on each start.
    rm -rf "$tmp"/final-flags*
    say "starting Elasticsearch $ES_VERSION$(when "ES_NODES > 1" " node $i") on" \
      "$(if es_secure; then echo https; else echo http; fi)://127.0.0.1:$(es_node_port "$i") with JDK $jdk"
    printf '\n===== %s starting Elasticsearch =====\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >>"$out"
    local -a as_user; mapfile -d '' as_user < <(es_as_user)
    # -d: the launcher exits once the node has started; -p: the node writes its pid.
    # The environment is cleared so CI/IDE variables (JAVA_TOOL_OPTIONS...) do not leak in.
    setsid nohup "${as_user[@]}" env -i -C "$E_DIR" \
      PATH=/usr/local/bin:/usr/bin:/bin HOME="$E_DIR" LANG=C.UTF-8 \
      ES_JAVA_HOME="$jdk" ES_PATH_CONF="$conf" ES_TMPDIR="$tmp" \
      ES_JAVA_OPTS="$(es_node_marker "$i")" CLI_JAVA_OPTS="-Djava.io.tmpdir=$tmp" \
      "$E_HOME/bin/elasticsearch" -d -p "$pidfile" \
      >>"$out" 2>&1 </dev/null 9>&- &
    if ((i == 1)); then ES_LAUNCHER_PID=$!; fi
  done
}

es_health() { # prints green/yellow/red, or nothing if unreachable
  local -a opts; mapfile -d '' opts < <(es_curl_opts)
  curl -sS -m 5 "${opts[@]}" "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null \
    | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true
}

es_healthy() {
  local h; h=$(es_health); [[ $h == green || $h == yellow ]] || return 1
  ((ES_NODES == 1)) && return 0
  local -a opts; mapfile -d '' opts < <(es_curl_opts)
  local n; n=$(curl -sS -m 5 "${opts[@]}" "$ES_URL/_cluster/health" 2>/dev/null \
    | sed -n 's/.*"number_of_nodes":\([0-9]*\).*/\1/p' || true)
  [[ ${n:-0} -ge $ES_NODES ]]
}

# ----------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------
# Log sizes when this 'up' began, so a failure shows only what this run wrote.
declare -A LOG_MARK=()
mark_logs() {
  local f
  for f in "$K_LOG" "$K_OUT" "$E_OUT" "$E_LOG"; do
    LOG_MARK[$f]=$(stat -c %s "$f" 2>/dev/null || echo 0)
  done
}

show_failure() { # show_failure LOG...: last 30 lines this run wrote to each log
  local f start
  for f in "$@"; do
    [[ -s $f ]] || continue
    start=$(( ${LOG_MARK[$f]:-0} + 1 ))
    # A log that shrank was rotated: show it from the beginning.
    (( start - 1 <= $(stat -c %s "$f") )) || start=1
    # Nothing new in this one.
    (( start - 1 < $(stat -c %s "$f") )) || continue
    printf '[bulwark] ---- last 30 lines of %s ----\n' "$f" >&2
    tail -c "+$start" "$f" | grep -v '^===== .* starting .* =====$' | grep -v '^$' | tail -n 30 >&2 || true
  done
  printf '[bulwark] ----\n' >&2
}

# component_arg WHAT ARG: kafka, es (or elasticsearch) -> "kafka"/"es"; anything else is a usage error.
component_arg() {
  case $2 in
    kafka) printf 'kafka' ;;
    es|elasticsearch) printf 'es' ;;
    *) die "$EXIT_USAGE" "unknown argument for $1: $2 (expected kafka or es)" ;;
  esac
}

cmd_up() {
  local only=all secure=false a brokers="" es_nodes=""
  while (($#)); do
    a=$1; shift
    case $a in
      --secure) secure=true ;;
      --brokers=*) brokers=${a#*=} ;;
      --es-nodes=*) es_nodes=${a#*=} ;;
      --brokers|--es-nodes)
        (($#)) || die "$EXIT_USAGE" "$a needs a number"
        if [[ $a == --brokers ]]; then brokers=$1; else es_nodes=$1; fi
        shift ;;
      -*) die "$EXIT_USAGE" "unknown option for up: $a" ;;
      *) [[ $only == all ]] || die "$EXIT_USAGE" "'up' takes at most one component (kafka or es)"
         only=$(component_arg up "$a") ;;
    esac
  done
  require_cmd curl "install it (apt-get install curl)"
  require_cmd flock "install util-linux"
  take_lock
  set_topology "$brokers" "$es_nodes"
  if $secure && ((KAFKA_BROKERS > 1 || ES_NODES > 1)); then
    die "$EXIT_USAGE" "--secure runs one broker and one Elasticsearch node (this stack has $KAFKA_BROKERS and $ES_NODES)"
  fi

  local pid start_kafka=false start_es=false i
  ES_LAUNCHER_PID=""
  KAFKA_START_NODES=() ES_START_NODES=()
  if [[ $only != kafka ]]; then
    for ((i = 1; i <= ES_NODES; i++)); do
      if pid=$(find_pid "$(es_node_pidfile "$i")" "$(es_node_marker "$i")"); then
        say "Elasticsearch $(when "ES_NODES > 1" "node $i ")already running (pid $pid) on http://127.0.0.1:$(es_node_port "$i")"
      else
        [[ -f $(es_node_pidfile "$i") ]] && { say "removing stale Elasticsearch pid file"; rm -f "$(es_node_pidfile "$i")"; }
        ES_START_NODES+=("$i")
      fi
    done
    if ((${#ES_START_NODES[@]})); then start_es=true; fi
  fi
  if [[ $only != es ]]; then
    for ((i = 1; i <= KAFKA_BROKERS; i++)); do
      if pid=$(find_pid "$(kafka_node_pidfile "$i")" "$(kafka_node_marker "$i")"); then
        say "Kafka $(when "KAFKA_BROKERS > 1" "broker $i ")already running (pid $pid) on 127.0.0.1:$(kafka_node_port "$i")"
        echo "$pid" >"$(kafka_node_pidfile "$i")"
      else
        [[ -f $(kafka_node_pidfile "$i") ]] && { say "removing stale Kafka pid file"; rm -f "$(kafka_node_pidfile "$i")"; }
        KAFKA_START_NODES+=("$i")
      fi
    done
    if ((${#KAFKA_START_NODES[@]})); then start_kafka=true; fi
  fi

  # Check every port before starting anything, so a conflict leaves nothing behind.
  if $start_kafka; then
    init_kafka_java
    for i in "${KAFKA_START_NODES[@]}"; do
      ensure_port_free "$(kafka_node_port "$i")" "Kafka broker $i" BULWARK_KAFKA_PORT
      ensure_port_free "$(kafka_node_cport "$i")" "Kafka controller $i" BULWARK_KAFKA_CONTROLLER_PORT
    done
    if $secure || kafka_secure; then
      ensure_port_free "$KAFKA_MTLS_PORT" "Kafka mutual-TLS" BULWARK_KAFKA_MTLS_PORT
    fi
  fi
  if $start_es; then
    for i in "${ES_START_NODES[@]}"; do
      ensure_port_free "$(es_node_port "$i")" "Elasticsearch HTTP $i" BULWARK_ES_PORT
      ensure_port_free "$(es_node_tport "$i")" "Elasticsearch transport $i" BULWARK_ES_TRANSPORT_PORT
    done
    es_find_jdk >/dev/null   # fail before fetching if there is no JDK >= 21
    es_check_user
  fi
  mark_logs

  fetch_artifacts
  init_kafka_java   # also used by the health check when Kafka was already running
  if $secure && [[ $only != es ]] && ! kafka_secure; then
    [[ -f $K_DATA/meta.properties ]] && die "the broker's data in $K_DATA was made without security; remove it first" \
      "(./bulwark local down --purge), then run 'up --secure' again"
    $start_kafka || die "Kafka is running without security; stop it first (down --purge)"
    secure_init
    touch "$S_MARK"
  fi
  if $secure && [[ $only != kafka ]] && ! es_secure; then
    [[ -d $E_DATA && -n $(ls -A "$E_DATA" 2>/dev/null) ]] && die "Elasticsearch's data in $E_DATA was made without" \
      "security; remove it first (./bulwark local down --purge), then run 'up --secure' again"
    $start_es || die "Elasticsearch is running without security; stop it first (down --purge)"
    secure_init
    es_secure_init
    touch "$S_ES_MARK"
    ES_URL="https://127.0.0.1:$ES_PORT"
  fi
  es_secure && [[ $only != kafka ]] && es_secure_init
  kafka_secure && [[ $only != es ]] && say "Kafka is secured: TLS, SCRAM users and ACLs (credentials: $S_CREDENTIALS)"
  # Elasticsearch is the slow one: launch it first, then format/start Kafka meanwhile.
  $start_es && es_start
  $start_kafka && kafka_start
  wait_for_health "$only"
  client_env
}

# set_topology BROKERS ES_NODES (either empty: keep): validates, refuses to change the shape of existing data, and
# records it in $TOPOLOGY_FILE so later commands (down, status, env) know every node.
set_topology() {
  local brokers=${1:-$KAFKA_BROKERS} es_nodes=${2:-$ES_NODES}
  [[ $brokers =~ ^[1-5]$ ]] || die "$EXIT_USAGE" "--brokers must be 1 to 5, not '$brokers'"
  [[ $es_nodes =~ ^[1-3]$ ]] || die "$EXIT_USAGE" "--es-nodes must be 1 to 3, not '$es_nodes'"
  if ((brokers != KAFKA_BROKERS)) && [[ -f $K_DATA/meta.properties ]]; then
    die "the Kafka data in $K_DATA was made with $KAFKA_BROKERS broker(s), not $brokers; run" \
      "'down --purge' first to start a new cluster"
  fi
  if ((es_nodes != ES_NODES)) && [[ -d $E_DATA && -n $(ls -A "$E_DATA" 2>/dev/null) ]]; then
    die "the Elasticsearch data in $E_DATA was made with $ES_NODES node(s), not $es_nodes; run 'down --purge' first"
  fi
  KAFKA_BROKERS=$brokers ES_NODES=$es_nodes
  if ((KAFKA_BROKERS > 1 || ES_NODES > 1)) || [[ -f $TOPOLOGY_FILE ]]; then
    mkdir -p "$BULWARK_HOME"
    printf 'brokers=%s\nes_nodes=%s\n' "$KAFKA_BROKERS" "$ES_NODES" >"$TOPOLOGY_FILE"
  fi
  set_bootstrap
}

# What a client needs to reach the stack, as variables.
client_env() {
  echo "BULWARK_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
  ((KAFKA_BROKERS == 1)) || echo "BULWARK_TOPIC_REPLICATION=$(kafka_replication)"
  if kafka_secure; then
    echo "BULWARK_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
    echo "BULWARK_KAFKA_CA_FILE=$S_CA_PEM"
    echo "BULWARK_KAFKA_CREDENTIALS_FILE=$S_CREDENTIALS"
    echo "# or mutual TLS instead of SCRAM: BULWARK_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_MTLS_PORT" \
      "BULWARK_KAFKA_SECURITY_PROTOCOL=SSL BULWARK_KAFKA_CREDENTIALS_FILE=$S_MTLS_CREDENTIALS"
  fi
  echo "BULWARK_ES_URL=$ES_URL"
  if es_secure; then
    echo "BULWARK_ES_CA_FILE=$S_CA_PEM"
    echo "BULWARK_ES_CREDENTIALS_FILE=$S_ES_CREDENTIALS"
  fi
}

# True while broker i runs: its marker is on a live process, or the process just started under the recorded pid is
# still alive (between fork and the JVM's exec its command line does not show the marker yet).
kafka_node_alive() {
  local pidfile pid; pidfile=$(kafka_node_pidfile "$1")
  find_pid "$pidfile" "$(kafka_node_marker "$1")" >/dev/null && return 0
  pid=$(tr -dc '0-9' <"$pidfile" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

# Polls both components until healthy; fails fast if one dies.
wait_for_health() { # wait_for_health [all|kafka|es]: the components to wait for
  local t0=$SECONDS k_ok=false e_ok=false last_report=0 elapsed pid
  [[ ${1:-all} == es ]] && k_ok=true
  [[ ${1:-all} == kafka ]] && e_ok=true
  local tty=false; [[ -t 2 ]] && tty=true
  while :; do
    elapsed=$((SECONDS - t0))
    if ! $k_ok; then
      local dead=0 i
      for ((i = 1; i <= KAFKA_BROKERS; i++)); do
        kafka_node_alive "$i" || { dead=$i; break; }
      done
      if ((dead)); then
        $tty && printf '\n' >&2
        show_failure "$(kafka_node_log "$dead")" "$(kafka_node_out "$dead")"
        die "$EXIT_UNHEALTHY" "Kafka$(when "KAFKA_BROKERS > 1" " broker $dead") exited during start-up (logs above: $(kafka_node_log "$dead"), $(kafka_node_out "$dead")).
        Fix the cause and run '$(basename "$0") up' again ('$(basename "$0") down' stops what is still
        running; 'down --purge' also wipes the data)."
      fi
      if kafka_healthy; then
        k_ok=true
        $tty && printf '\r\033[K' >&2
        say "Kafka is up on $KAFKA_BOOTSTRAP ($((SECONDS - t0))s)"
      fi
    fi
    if ! $e_ok; then
      if es_healthy; then
        e_ok=true
        $tty && printf '\r\033[K' >&2
        say "Elasticsearch is up on $ES_URL, cluster health $(es_health) ($((SECONDS - t0))s)"
      elif ! find_pid "$E_PID" "$E_MARKER" >/dev/null \
           && ! { [[ -n $ES_LAUNCHER_PID ]] && kill -0 "$ES_LAUNCHER_PID" 2>/dev/null; }; then
        $tty && printf '\n' >&2
        show_failure "$E_OUT" "$E_LOG"
        die "$EXIT_UNHEALTHY" "Elasticsearch exited during start-up (logs above: $E_OUT, $E_LOG).
        Fix the cause and run '$(basename "$0") up' again ('$(basename "$0") down' stops what is still
        running; 'down --purge' also wipes the data)."
      fi
    fi
    if $k_ok && $e_ok; then
      say "stack is up (Kafka $KAFKA_BOOTSTRAP, Elasticsearch $ES_URL)"
      return 0
    fi

    elapsed=$((SECONDS - t0))
    if ((elapsed >= STACK_TIMEOUT)); then
      $tty && printf '\n' >&2
      $k_ok || show_failure "$K_LOG" "$K_OUT"
      $e_ok || show_failure "$E_OUT" "$E_LOG"
      local pending="Kafka and Elasticsearch"
      $k_ok && pending=Elasticsearch; $e_ok && pending=Kafka
      die "$EXIT_UNHEALTHY" "$pending not healthy after ${STACK_TIMEOUT}s (logs above).
        The processes were left running for inspection: '$(basename "$0") logs', then
        '$(basename "$0") down'. A slow machine may need BULWARK_STACK_TIMEOUT=<seconds>."
    fi
    local msg=""
    $k_ok || msg="Kafka on $KAFKA_BOOTSTRAP"
    $e_ok || msg="${msg:+$msg and }Elasticsearch on $ES_URL"
    if $tty; then
      printf '\r\033[K[bulwark] waiting for %s ... %ds' "$msg" "$elapsed" >&2
    elif ((elapsed - last_report >= 5)); then
      last_report=$elapsed
      say "waiting for $msg ... ${elapsed}s"
    fi
    sleep 1
  done
}

cmd_down() {
  local purge=false only=all now=false
  for a in "$@"; do
    case $a in
      --purge) purge=true ;;
      --kill) now=true ;;
      -*) die "$EXIT_USAGE" "unknown option for down: $a" ;;
      kafka-[0-9]|es-[0-9])
         [[ $only == all ]] || die "$EXIT_USAGE" "'down' takes at most one component"
         only=$a ;;
      *) [[ $only == all ]] || die "$EXIT_USAGE" "'down' takes at most one component"
         only=$(component_arg down "$a") ;;
    esac
  done
  require_cmd flock "install util-linux"
  take_lock
  local pids=() pid p i name
  # One node ('down --kill kafka-2', for drills) or every node of a component.
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    [[ $only == all || $only == kafka || $only == "kafka-$i" ]] || continue
    name="Kafka$(when "KAFKA_BROKERS > 1" " broker $i")"
    if pid=$(find_pid "$(kafka_node_pidfile "$i")" "$(kafka_node_marker "$i")"); then
      say "stopping $name (pid $pid)"; pids+=("$pid")
    else
      say "$name is not running"
    fi
  done
  for ((i = 1; i <= ES_NODES; i++)); do
    [[ $only == all || $only == es || $only == "es-$i" ]] || continue
    name="Elasticsearch$(when "ES_NODES > 1" " node $i")"
    if pid=$(find_pid "$(es_node_pidfile "$i")" "$(es_node_marker "$i")"); then
      say "stopping $name (pid $pid)"; pids+=("$pid")
    else
      say "$name is not running"
    fi
  done
  if [[ $only == all || $only == es ]]; then
    # Also stop an Elasticsearch launcher that is still waiting for its node.
    for p in $(pids_with_arg -s "-Des.path.home=$E_DIR/home-"); do
      [[ " ${pids[*]} " == *" $p "* ]] || pids+=("$p")
    done
  fi
  if $now && ((${#pids[@]})); then
    # For fault drills: kill -9, no shutdown at all, as a crashed machine or an OOM kill would.
    say "killing ${pids[*]} (SIGKILL)"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for p in "${pids[@]}"; do
      while kill -0 "$p" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]]; do sleep 0.1; done
    done
  else
    terminate_pids "${pids[@]}"
  fi
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    if [[ $only == all || $only == kafka || $only == "kafka-$i" ]]; then rm -f "$(kafka_node_pidfile "$i")"; fi
  done
  for ((i = 1; i <= ES_NODES; i++)); do
    if [[ $only == all || $only == es || $only == "es-$i" ]]; then rm -f "$(es_node_pidfile "$i")"; fi
  done
  if $purge; then
    [[ $only == all || $only == kafka || $only == es ]] || die "$EXIT_USAGE" "--purge takes all, kafka or es, not one node"
    say "purging data and logs under $BULWARK_HOME (cached downloads are kept)"
    [[ $only == es ]] || rm -rf "$K_DATA" "$K_LOG" "$K_LOG".* "$K_OUT" "$K_DIR/format.log" "$S_MARK" "$S_CREDENTIALS" \
      "$S_BROKER_P12" "$S_DIR/kafka-broker.pem"
    [[ $only != all ]] || rm -rf "$S_DIR"
    [[ $only == kafka ]] || rm -rf "$E_DATA" "$E_LOGS" "$E_TMP" "$E_OUT" "$S_ES_MARK" "$S_ES_CREDENTIALS" \
      "$S_DIR/es-http.key" "$S_DIR/es-http.crt" "$S_DIR/es-curl.conf"
    [[ $only == es ]] || rm -rf "$K_DIR"/node-* "$K_DIR/cluster.id"
    [[ $only == kafka ]] || rm -rf "$E_DIR"/node-*
    [[ $only != all ]] || rm -f "$TOPOLOGY_FILE"
  fi
  case $only in
    all) say "stack is down" ;;
    kafka) say "Kafka is down (Elasticsearch left alone)" ;;
    es) say "Elasticsearch is down (Kafka left alone)" ;;
    *) say "$only is down (the rest left alone; 'up' starts it again)" ;;
  esac
}

cmd_status() {
  [[ $# -eq 0 ]] || die "$EXIT_USAGE" "'status' takes no arguments"
  local healthy=true pid state reach health i port note cluster_ok=false
  # Kafka: one line per broker; the cluster answers when every broker does.
  if find_pid "$K_PID" "$K_MARKER" >/dev/null && [[ -s ${K_CP_FILE:-} ]] && (init_kafka_java) 2>/dev/null; then
    # (The subshell tries first, so a missing Java cannot abort 'status'.)
    init_kafka_java
    port_open "$KAFKA_PORT" && kafka_health_probe && cluster_ok=true
  fi
  for ((i = 1; i <= KAFKA_BROKERS; i++)); do
    port=$(kafka_node_port "$i")
    if pid=$(find_pid "$(kafka_node_pidfile "$i")" "$(kafka_node_marker "$i")"); then state=running; else state=stopped; pid=-; fi
    reach=no
    if [[ $state == running ]] && port_open "$port" && { $cluster_ok || ((KAFKA_BROKERS > 1)); }; then reach=yes; fi
    [[ $reach == yes ]] || healthy=false
    note=""
    if [[ $state == stopped ]] && port_open "$port"; then note="  (port $port is used by another process)"; fi
    printf '%-16s %-8s pid=%-8s endpoint=%-26s reachable=%s%s\n' \
      "$(kafka_node_name "$i")" "$state" "$pid" "$(when "KAFKA_BROKERS == 1" "$KAFKA_BOOTSTRAP")$(when "KAFKA_BROKERS > 1" "127.0.0.1:$port")" \
      "$reach" "$note"
  done
  ((KAFKA_BROKERS == 1)) || $cluster_ok || healthy=false
  # Elasticsearch: one line per node, each with the health its own HTTP port reports.
  for ((i = 1; i <= ES_NODES; i++)); do
    port=$(es_node_port "$i")
    if pid=$(find_pid "$(es_node_pidfile "$i")" "$(es_node_marker "$i")"); then state=running; else state=stopped; pid=-; fi
    health=unreachable
    if [[ $state == running ]]; then
      local -a opts; mapfile -d '' opts < <(es_curl_opts)
      health=$(curl -sS -m 5 "${opts[@]}" "${ES_URL%:*}:$port/_cluster/health" 2>/dev/null \
        | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true)
      [[ -n $health ]] || health=unreachable
    fi
    [[ $health == green || $health == yellow ]] || healthy=false
    note=""
    if [[ $state == stopped ]] && port_open "$port"; then note="  (port $port is used by another process)"; fi
    printf '%-16s %-8s pid=%-8s endpoint=%-26s health=%s%s\n' \
      "$(es_node_name "$i")" "$state" "$pid" "${ES_URL%:*}:$port" "$health" "$note"
  done
  $healthy || exit "$EXIT_UNHEALTHY"
}

cmd_env() {
  [[ $# -eq 0 ]] || die "$EXIT_USAGE" "'env' takes no arguments"
  client_env
}

cmd_logs() {
  local follow=false paths=false which=all
  for a in "$@"; do
    case $a in
      -f|--follow) follow=true ;;
      --paths) paths=true ;;
      kafka) which=kafka ;;
      es|elasticsearch) which=es ;;
      *) die "$EXIT_USAGE" "unknown argument for logs: $a" ;;
    esac
  done
  local files=()
  [[ $which == es ]] || files+=("$K_LOG" "$K_OUT")
  [[ $which == kafka ]] || files+=("$E_LOG" "$E_OUT")
  if $paths; then printf '%s\n' "${files[@]}"; return 0; fi
  local existing=() f
  for f in "${files[@]}"; do [[ -f $f ]] && existing+=("$f"); done
  ((${#existing[@]})) || { say "no logs yet under $BULWARK_HOME"; return 0; }
  if $follow; then exec tail -n 30 -F "${existing[@]}"; fi
  tail -n 30 "${existing[@]}"
}

cmd_kafka_tool() {
  [[ $# -ge 1 ]] || die "$EXIT_USAGE" "usage: kafka-tool CLASS [ARGS...]"
  init_kafka_java
  fetch_artifacts
  [[ -f $K_TOOLS_LOG4J ]] || kafka_write_config
  kafka_run_tool "$@"
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    -h|--help|help) usage; exit 0 ;;
    "") usage >&2; exit "$EXIT_USAGE" ;;
  esac
  init_settings
  case $cmd in
    up)         init_versions; cmd_up "$@" ;;
    down)       init_versions; cmd_down "$@" ;;
    purge)      init_versions; cmd_down --purge "$@" ;;
    status)     init_versions; cmd_status "$@" ;;
    env)        cmd_env "$@" ;;
    logs)       cmd_logs "$@" ;;
    kafka-tool) init_versions; cmd_kafka_tool "$@" ;;
    *) printf '[bulwark] ERROR: unknown command "%s"\n\n' "$cmd" >&2; usage >&2; exit "$EXIT_USAGE" ;;
  esac
}

main "$@"
