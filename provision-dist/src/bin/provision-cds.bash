# provision-cds.bash: the start-up archive of the provision command line, sourced by bin/provision
# (of the distribution and of a checkout). Not a command.
#
# A JVM spends most of a short command loading and verifying classes. An application
# class-data-sharing archive (AppCDS) holds them ready to map: the first run starts a training run
# in the background (java -XX:ArchiveClassesAtExit, net.aegirj.provision.cli.CdsTraining, which
# runs the usual commands on a temporary home), and every later run maps the archive it wrote.
# The archive's name carries the JVM's and the class path's modification times, so a new JVM or a
# rebuilt jar gets a new archive. A JVM that cannot use the archive ignores it silently. Set
# PROVISION_CDS=0 to turn it off.

# provision_cds JAVA CLASSPATH DIRECTORY
#   Sets the array cds_opts to the JVM options that map the archive kept in DIRECTORY for this JVM
#   and class path (made when it is not there yet: then cds_opts stays empty).
provision_cds() {
  local java="$1" classpath="$2" dir="$3" java_real jvm stamp entry jsa lock
  cds_opts=()
  [[ "${PROVISION_CDS:-1}" != 0 ]] || return 0
  java_real="$(readlink -f -- "$(command -v -- "$java" || true)" 2>/dev/null || true)"
  jvm="${java_real%/bin/java}/lib/server/libjvm.so"
  [[ -n "$java_real" && -f "$jvm" ]] || return 0
  stamp="$(stat -c %Y -- "$jvm")"
  local IFS=:
  for entry in $classpath; do
    stamp+="-$(stat -c %Y -- "${entry%/\*}" 2>/dev/null || echo 0)"
  done
  unset IFS
  stamp="$(printf '%s' "$stamp" | cksum | cut -d' ' -f1)"
  jsa="$dir/provision-$stamp.jsa"
  if [[ -r "$jsa" ]]; then
    cds_opts=(-XX:SharedArchiveFile="$jsa" -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off)
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
    if "$java" -XX:ArchiveClassesAtExit="$tmp" -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$classpath" \
        net.aegirj.provision.cli.CdsTraining && [[ -s "$tmp" ]]; then
      mv -f -- "$tmp" "$jsa"
    fi
    rm -f -- "$tmp"
    rmdir -- "$lock"
  ) </dev/null >/dev/null 2>&1 &
  disown || true
}

# provision_quick_opts ARGS...
#   Sets the array quick_opts to -XX:TieredStopAtLevel=1 (the quick compiler alone, which starts
#   sooner) when the command line runs a command that reads or saves contexts and ends at once
#   (show, list, save without --from, help, --version); to -XX:+UseParallelGC for import, whose
#   batch checks every context in one thread and allocates much while the code is still young:
#   with G1 that part took twice as long (issue 18: 10,000 alias files, merge and checks 1.7-2.1 s
#   with G1, 0.9-1.0 s with the parallel collector); empty for tasks (and save --from, not
#   measured yet), which run long enough for the optimising compiler to pay.
#   PROVISION_JAVA_OPTS comes later and wins.
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
      [[ "$from" == 1 ]] || quick_opts=(-XX:TieredStopAtLevel=1) ;;
    import)
      # A collector chosen in PROVISION_JAVA_OPTS wins (a JVM refuses two).
      [[ "${PROVISION_JAVA_OPTS:-}" == *GC* ]] || quick_opts=(-XX:+UseParallelGC) ;;
  esac
}
