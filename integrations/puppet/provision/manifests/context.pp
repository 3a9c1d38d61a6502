# @summary A Provision for Java context (a server, a platform or a site): the defined type of
#   earlier versions, now a thin wrapper of the native type `provision_context`.
#
# Takes the parameters it always took and declares `Provision_context[<name>]` with them
# (`type` is the native type's `context_type`). New manifests can use `provision_context`
# directly; see its documentation (`puppet describe provision_context`) for what a run does.
# Property values reach `provision save` on its standard input, never on a command line and never
# in a file; give secrets as Sensitive[String].
#
# @example
#   provision::context { 'example.com':
#     type       => 'site',
#     install    => true,
#     properties => { 'platform' => '@platform_d10', 'aliases' => ['www.example.com'] },
#   }
#
# @param ensure Whether the context exists.
# @param type The context type: server, platform or site.
# @param properties Properties by Aegir's names (root, platform, aliases, ...).
# @param context_name The context name without the `@` (default: the title).
# @param verify Run `provision verify` after a save that created or changed the context.
# @param install Sites only: run `provision install` while the site is not installed.
# @param provision The `provision` executable (a path, or a name found on `path`).
# @param home The Provision home (`--home`); default `$PROVISION_HOME`, else `~/.provision`.
# @param environment Environment for the commands, such as `JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64`.
# @param path The directories to look `provision` up in.
define provision::context (
  Enum['server', 'platform', 'site'] $type,
  Enum['present', 'absent'] $ensure = 'present',
  Hash[Pattern[/\A[a-z][a-z0-9_]*\z/], Variant[String, Integer, Boolean, Array[String], Sensitive[String]]] $properties = {},
  Pattern[/\A@?[A-Za-z0-9][A-Za-z0-9._-]*\z/] $context_name = $title,
  Boolean $verify = true,
  Boolean $install = false,
  String[1] $provision = 'provision',
  Optional[String[1]] $home = undef,
  Array[String] $environment = [],
  Array[String] $path = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'],
) {
  # Removes the properties files that earlier versions of this defined type kept (secrets in them).
  include provision

  provision_context { downcase(regsubst($context_name, '\A@+', '')):
    ensure       => $ensure,
    context_type => $type,
    properties   => $properties,
    install      => $install,
    verify       => $verify,
    provision    => $provision,
    home         => $home,
    environment  => $environment,
    path         => $path,
  }
}
