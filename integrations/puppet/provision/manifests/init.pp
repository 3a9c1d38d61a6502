# @summary Removes what earlier versions of `provision::context` left behind: their properties
#   files, `<properties_dir>/<name>.properties`, which held the given properties, secrets included.
#
# `provision::context` includes this class. The native type `provision_context` (which the
# defined type now wraps) passes property values on the standard input of `provision save` and
# keeps no file, so the directory (mode 0700) is purged of every file in it. Set
# `provision::properties_dir` in Hiera if an earlier version was told to keep its files elsewhere.
#
# @param properties_dir The directory of the old properties files (an absolute path).
class provision (
  Pattern[/\A\/[^\x00-\x1f\x7f]*\z/] $properties_dir = "${settings::vardir}/provision",
) {
  file { $properties_dir:
    ensure  => directory,
    mode    => '0700',
    recurse => true,
    purge   => true,
    force   => true,
    backup  => false,
  }
}
