# provision-cds.bash: the start-up archive of the provision command line, sourced by bin/provision
# (of the distribution and of a checkout). Not a command.
#
# A JVM spends most of a short command loading and verifying classes. An application
# class-data-sharing archive (AppCDS) holds them ready to map: the first run starts a training run
# in the background (net.aegirj.provision.cli.CdsTraining, which runs the usual commands on a
# temporary home, with -XX:DumpLoadedClassList), then dumps a static archive of every class it
# loaded (java -Xshare:dump), and every later run maps that archive. A static archive, unlike a
# dynamic one (-XX:ArchiveClassesAtExit), also holds picocli's classes, which are Java 5 class
# files: their verification at every start was the largest single cost left.
# The archive's name carries the JVM's and the class path's modification times, so a new JVM or a
# rebuilt jar gets a new archive. A JVM that cannot use the archive ignores it silently. Set
# PROVISION_CDS=0 to turn it off.

# provision_cds JAVA CLASSPATH DIRECTORY
#   Sets the array cds_opts to the JVM options that map the archive kept in DIRECTORY for this JVM
#   and class path (made when it is not there yet: then cds_opts stays empty).
provision_cds() {
  local java="$1" classpath="$2" dir="$3" java_path="" stamp entry jsa lock
  cds_opts=()
  [[ "${PROVISION_CDS:-1}" != 0 ]] || return 0
  # No subshell and no readlink: every process this script starts costs a short command several
  # milliseconds. bash's command hash gives the path; stat -L follows the links to the JVM's own
  # launcher, which a new JVM replaces.
  if [[ "$java" == */* ]]; then
    java_path="$java"
  elif hash -- "$java" 2>/dev/null; then
    java_path="${BASH_CMDS[$java]:-}"
  fi
  [[ -n "$java_path" && -x "$java_path" ]] || return 0
  local files=("$java_path") mtime hash=0
  local IFS=:
  # Unquoted on purpose: a "lib/*" entry expands to its jars, each stamped.
  for entry in $classpath; do
    files+=("${entry%/\*}")
  done
  unset IFS
  # One stat for all of them: a process per file cost a loaded machine tenths of a second a run.
  for mtime in $(stat -L -c %Y -- "${files[@]}" 2>/dev/null); do
    hash=$(( (hash * 31 + mtime) % 4294967296 ))
  done
  stamp="$hash-${#files[@]}"
  jsa="$dir/provision-static-$stamp.jsa"
  if [[ -r "$jsa" ]]; then
    cds_opts=(-XX:SharedArchiveFile="$jsa" -Xshare:auto -Xlog:cds=off)
    return 0
  fi
  mkdir -p -- "$dir" 2>/dev/null || return 0
  [[ -w "$dir" ]] || return 0
  lock="$jsa.making"
  # A training run that was killed leaves its lock: after ten minutes it is taken to be dead.
  find "$lock" -maxdepth 0 -mmin +10 -exec rmdir -- {} \; 2>/dev/null || true
  mkdir -- "$lock" 2>/dev/null || return 0
  (
    tmp="$jsa.tmp.$BASHPID"
    list="$jsa.classes.$BASHPID"
    if "$java" -XX:DumpLoadedClassList="$list" -cp "$classpath" net.aegirj.provision.cli.CdsTraining \
        && [[ -s "$list" ]] \
        && "$java" -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$tmp" -Xlog:cds=off \
          -cp "$classpath" && [[ -s "$tmp" ]]; then
      mv -f -- "$tmp" "$jsa"
      # Archives of an older JVM or class path are never mapped again.
      find "$dir" -maxdepth 1 -name 'provision-*.jsa' ! -path "$jsa" -delete
    fi
    rm -f -- "$tmp" "$list"
    rmdir -- "$lock"
  ) </dev/null >/dev/null 2>&1 &
  disown || true
}

# provision_quick_opts ARGS...
#   Sets the array quick_opts to -XX:TieredStopAtLevel=1 (the quick compiler alone, which starts
#   sooner), -XX:+UseSerialGC (the collector that starts soonest, enough for a small heap) and
#   -XX:-UsePerfData (no hsperfdata file to create and remove) when the command line runs a
#   command that reads or saves contexts and ends at once (show, list, save without --from, help,
#   --version); to -XX:TieredStopAtLevel=1 alone for save --from (issue 18: 1,000 JSON lines
#   0.99-1.05 s against 1.26-1.31 s with both compilers, 10,000 2.3-2.6 s against 3.0-3.4 s; the
#   serial collector was no better); to -XX:+UseParallelGC for import, whose batch checks every context in one thread
#   and allocates much while the code is still young: with G1 that part took twice as long
#   (issue 18: 10,000 alias files, merge and checks 1.7-2.1 s with G1, 0.9-1.0 s with the
#   parallel collector); to -XX:TieredStopAtLevel=1 for tasks and everything else: a batch of
#   tasks waits on the database, the disk and the web server, and on two cores the optimising
#   compiler's threads took their time from it (issue 18: install of 1,000 sites 12.5-13.8 s
#   against 15.3-16.4 s with both compilers, a no-op verify of 1,000 3.0 s against 4.3 s).
#   PROVISION_JAVA_OPTS comes later and wins; a collector named there replaces the launcher's (a
#   JVM refuses to start with two).
provision_quick_opts() {
  local arg command="" skip=0 from=0
  quick_opts=()
  for arg in "$@"; do
    if [[ "$skip" == 1 ]]; then skip=0; continue; fi
    case "$arg" in
      --home) skip=1 ;;
      --from|--from=*) from=1 ;;
      --version) [[ -z "$command" ]] && command="--version" ;;
      -*) ;;
      *) [[ -z "$command" ]] && command="$arg" ;;
    esac
  done
  case "$command" in
    show|list|save|provision-save|help|--version)
      if [[ "$from" == 1 ]]; then
        quick_opts=(-XX:TieredStopAtLevel=1)
      else
        quick_opts=(-XX:TieredStopAtLevel=1 -XX:-UsePerfData)
        # A collector chosen in PROVISION_JAVA_OPTS wins (a JVM refuses to start with two).
        [[ "${PROVISION_JAVA_OPTS:-}" == *GC* ]] || quick_opts+=(-XX:+UseSerialGC)
      fi ;;
    import)
      # A collector chosen in PROVISION_JAVA_OPTS wins (a JVM refuses two).
      [[ "${PROVISION_JAVA_OPTS:-}" == *GC* ]] || quick_opts=(-XX:+UseParallelGC) ;;
    *)
      quick_opts=(-XX:TieredStopAtLevel=1) ;;
  esac
}
