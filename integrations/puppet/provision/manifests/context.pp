# @summary A Provision for Java context (a server, a platform or a site), kept by the `provision`
#   command line.
#
# Idempotent: every command runs under an `unless` or `onlyif` check that reads the context with
# `provision show --json`, so a second `puppet apply` changes nothing.
#
# * ensure => present: the properties go to a file, `<provision::properties_dir>/<name>.properties`
#   (mode 0600, content Sensitive, no diff, no backup); `provision save --properties-from=<file>`
#   runs unless the context exists with this type and every given property stored with the given
#   value; `provision verify` runs when the save ran (refreshonly, also on a notify from
#   elsewhere); with install => true, `provision install` runs for a site whose `installed`
#   property is not true. No property value is ever on a command line: not in the save's, and not
#   in the check's (it reads the values it looks for from the same file).
# * ensure => absent: `provision delete` (sites and platforms: what the context made, then the
#   context) or `provision save --delete` (servers) runs only if the context exists; the
#   properties file is removed.
#
# Property values are compared with what `provision show --json` prints, so give them as the
# command line stores them: context references with their `@` and in lower case (`@platform_d10`),
# numbers as Integer, flags as Boolean, lists as Array (no commas in items), secrets as
# Sensitive[String] (the file's content is Sensitive: redacted in Puppet's logs and reports).
# Only the properties given are compared and changed; the others keep their stored values. Values
# with control characters are refused.
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
# @param verify Run `provision verify` after the save ran.
# @param install Sites only: run `provision install` while the site is not installed.
# @param provision The `provision` executable (a path, or a name found on `path`).
# @param home The Provision home (`--home`); default `$PROVISION_HOME`, else `~/.provision`.
# @param environment Environment for the commands, such as `JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64`.
# @param path The search path for the commands.
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
  $name_lc = downcase(regsubst($context_name, '\A@+', ''))
  $at_name = "@${name_lc}"
  $reserved = ['context_type', 'delete', 'help'].filter |$p| { $p in $properties }
  unless $reserved.empty {
    fail("provision::context[${title}]: property '${reserved[0]}' cannot be given in properties")
  }
  if $install and $type != 'site' {
    fail("provision::context[${title}]: install applies to sites only")
  }

  include provision
  $properties_file = "${provision::properties_dir}/${name_lc}.properties"
  $plain = Hash($properties.map |$p, $v| { [$p, $v ? { Sensitive => $v.unwrap, default => $v }] })

  $home_args = $home ? { undef => [], default => ['--home', $home] }
  $cli = shellquote([$provision] + $home_args)
  $exec_defaults = {
    provider    => 'shell',
    path        => $path,
    environment => $environment,
    logoutput   => 'on_failure',
  }

  if $ensure == 'absent' {
    $remove = $type ? {
      'server' => "${cli} save ${shellquote($at_name)} --delete",
      default  => "${cli} delete ${shellquote($at_name)}",
    }
    exec { "provision::context ${at_name} absent":
      command => $remove,
      onlyif  => "${cli} show ${shellquote($at_name)} >/dev/null 2>&1",
      *       => $exec_defaults,
    }
    file { $properties_file:
      ensure => absent,
      backup => false,
    }
  } else {
    # The text form save takes (a name=value line), and the JSON fragment show prints for the value.
    $texts = $plain.map |$p, $v| {
      $t = $v ? {
        Array   => $v.join(','),
        default => String($v),
      }
      if $t =~ /[\x00-\x1f\x7f]/ {
        fail("provision::context[${title}]: property '${p}': control characters are not allowed")
      }
      if $v =~ Array and $v.any |$i| { ',' in $i } {
        fail("provision::context[${title}]: property '${p}': list items must not contain ','")
      }
      [$p, $t]
    }
    $fragments = $plain.map |$p, $v| {
      $json = $v ? {
        Array   => sprintf('[%s]', $v.map |$i| { provision::json_string($i) }.join(',')),
        String  => provision::json_string($v),
        default => String($v),
      }
      "\"${p}\":{\"value\":${json},\"source\":\"set\""
    }
    $wanted = ["\"name\":\"${at_name}\",\"context_type\":\"${type}\""] + $fragments
    $show = "out=\$(${cli} show ${shellquote($at_name)} --json --show-secrets 2>/dev/null) || exit 1"

    # One file holds what the save reads (name=value lines) and what the check looks for in
    # `provision show --json` (the "#json:" lines, comments to the save), so that neither command
    # line carries a value: the check reads the file with the shell's own `read` and `case`.
    $content = (
      [
        "# provision::context ${at_name}, kept by Puppet: the properties of",
        "# `provision save ${at_name} --properties-from=<this file>`. The #json: lines are what the",
        "# check looks for in `provision show ${at_name} --json --show-secrets`.",
        "context_type=${type}",
      ]
      + $texts.map |$pt| { "${pt[0]}=${pt[1]}" }
      + $wanted.map |$f| { "#json:${f}" }
    ).join("\n")
    file { $properties_file:
      ensure    => file,
      mode      => '0600',
      content   => Sensitive("${content}\n"),
      show_diff => false,
      backup    => false,
    }

    $save = "${cli} save ${shellquote($at_name)} --properties-from=${shellquote($properties_file)}"
    $checks = [
      'while IFS= read -r line; do',
      'case "$line" in \'#json:\'*) f=${line#*:}; case "$out" in *"$f"*) ;; *) exit 1 ;; esac ;; esac;',
      "done < ${shellquote($properties_file)}",
    ].join(' ')
    $unchanged = [$show, $checks, 'exit 0'].join('; ')
    exec { "provision::context ${at_name} save":
      command => $save,
      unless  => $unchanged,
      require => File[$properties_file],
      *       => $exec_defaults,
    }
    if $install {
      exec { "provision::context ${at_name} install":
        command => "${cli} install ${shellquote($at_name)}",
        unless  => "${show}; case \"\$out\" in *'\"installed\":{\"value\":true,'*) exit 0 ;; *) exit 1 ;; esac",
        require => Exec["provision::context ${at_name} save"],
        *       => $exec_defaults,
      }
    }
    if $verify {
      exec { "provision::context ${at_name} verify":
        command     => "${cli} verify ${shellquote($at_name)}",
        refreshonly => true,
        subscribe   => Exec["provision::context ${at_name} save"],
        *           => $exec_defaults,
      }
      if $install {
        Exec["provision::context ${at_name} install"] -> Exec["provision::context ${at_name} verify"]
      }
    }
  }
}
