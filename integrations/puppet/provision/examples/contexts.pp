# A server, a platform and an installed site, kept by the native type provision_context; with
# FACTER_provision_ensure=absent, removed again (the site first). Try it:
#
#   FACTER_provision_bin=/path/to/checkout/bin/provision FACTER_provision_home=/tmp/aegir \
#   FACTER_platform_root=/tmp/aegir/platforms/d10 \
#     puppet apply --modulepath integrations/puppet integrations/puppet/provision/examples/contexts.pp
#
# The server has no web, database or DNS service, so this runs without nginx or MariaDB; the
# platform root must hold a Drupal code base (core/lib/Drupal.php).
$contexts_ensure = $facts['provision_ensure'] ? { undef => 'present', default => $facts['provision_ensure'] }
$d10_root = $facts['platform_root'] ? { undef => '/var/aegir/platforms/d10', default => $facts['platform_root'] }

Provision_context {
  ensure    => $contexts_ensure,
  provision => $facts['provision_bin'] ? { undef => 'provision', default => $facts['provision_bin'] },
  home      => $facts['provision_home'],
}

provision_context { 'server_web':
  context_type => 'server',
  properties   => { 'remote_host' => 'localhost', 'admin_email' => 'hostmaster@example.com' },
}

provision_context { 'platform_d10':
  context_type => 'platform',
  properties   => { 'root' => $d10_root, 'web_server' => '@server_web' },
}

provision_context { 'example.com':
  context_type => 'site',
  install      => true,
  properties   => {
    'platform'       => '@platform_d10',
    'aliases'        => ['www.example.com', 'example.org'],
    'install_method' => 'manual',
    'ssl_enabled'    => 0,
    'site_enabled'   => true,
    # A secret: it reaches `provision save` on its standard input, never on a command line or in
    # a file, and Puppet redacts the property. Keep real ones in Hiera (eyaml).
    'cron_key'       => Sensitive('cronkey-4f9a8b7c6d5e'),
  },
}

if $contexts_ensure == 'present' {
  Provision_context['server_web'] -> Provision_context['platform_d10'] -> Provision_context['example.com']
} else {
  Provision_context['example.com'] -> Provision_context['platform_d10'] -> Provision_context['server_web']
}
