# Sourced by the project's scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: an already set JAVA_HOME that is new enough, then the JDKs under /usr/lib/jvm and
# /opt (newest first), then the java on the PATH.
opg_java_major() { # prints the major version of the given java binary
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}
opg_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/* /opt/*jdk* /opt/java/* 2>/dev/null | sort -rV) \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(opg_java_major "$candidate/bin/java")
    major=${major%%.*}
    if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME=$(opg_find_jdk); then
  echo "error: no JDK 21 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm, /opt and the PATH); install one, e.g. apt-get install openjdk-21-jdk-headless" >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
