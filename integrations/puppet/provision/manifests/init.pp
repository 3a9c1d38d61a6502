# @summary Where `provision::context` keeps the properties files it saves from: one file per
#   context, `<properties_dir>/<name>.properties`, mode 0600, in a directory of mode 0700.
#
# `provision::context` includes this class; set `provision::properties_dir` in Hiera to move the
# directory. The files hold the given properties, secrets included (as the context's own file in
# the Provision home does), so that `provision save --properties-from=FILE` reads them there
# instead of from its command line, where other local users could see them in the process list.
# The default is Puppet's vardir as the catalog sees it (`$settings::vardir`): right for
# `puppet apply`; with a Puppet server, give a directory on the agent (such as
# `/var/lib/provision-puppet`). Files in it that no `provision::context` of the catalog manages
# are removed.
#
# @param properties_dir The directory of the properties files (an absolute path).
class provision (
  Pattern[/\A\/[^\x00-\x1f\x7f]*\z/] $properties_dir = "${settings::vardir}/provision",
) {
  # Purged: the file of a context dropped from the catalog (rather than made absent) goes too,
  # and its secrets with it.
  file { $properties_dir:
    ensure  => directory,
    mode    => '0700',
    recurse => true,
    purge   => true,
    backup  => false,
  }
}
