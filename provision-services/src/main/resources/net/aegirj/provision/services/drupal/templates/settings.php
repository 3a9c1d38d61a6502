<?php
/**
 * @file
 * Drupal {{drupal}} settings for {{uri}}, written by Provision for Java.
 *
 * Changes will be lost on the next verify: put your own settings in
 * local.settings.php beside this file.
 */

// Database credentials come from the web server (the vhost passes them as request
// environment), or from drushrc.php on the command line.
$provision_db = [];
if (isset($_SERVER['db_name'])) {
  foreach (['db_type', 'db_name', 'db_user', 'db_passwd', 'db_host', 'db_port'] as $key) {
    $provision_db[$key] = $_SERVER[$key] ?? '';
    unset($_SERVER[$key], $_SERVER['REDIRECT_' . $key]);
    if (function_exists('apache_setenv')) {
      apache_setenv($key, '');
    }
  }
}
elseif (is_readable(__DIR__ . '/drushrc.php')) {
  $options = [];
  include __DIR__ . '/drushrc.php';
  foreach (['db_type', 'db_name', 'db_user', 'db_passwd', 'db_host', 'db_port'] as $key) {
    $provision_db[$key] = $options[$key] ?? '';
  }
}
if (!empty($provision_db['db_name'])) {
  $databases['default']['default'] = [
    'driver' => $provision_db['db_type'] === 'mysqli' ? 'mysql' : $provision_db['db_type'],
    'database' => $provision_db['db_name'],
    'username' => $provision_db['db_user'],
    'password' => $provision_db['db_passwd'],
    'host' => $provision_db['db_host'],
    'port' => (string) $provision_db['db_port'],
    'charset' => 'utf8mb4',
    'collation' => 'utf8mb4_general_ci',
  ];
}
unset($provision_db);

{{#drupal8}}
$settings['hash_salt'] = '{{hash_salt}}';
$settings['file_public_path'] = '{{file_public_path}}';
$settings['file_private_path'] = '{{file_private_path}}';
$settings['file_temp_path'] = '{{file_temp_path}}';
$settings['config_sync_directory'] = '{{config_sync_directory}}';
$settings['install_profile'] = '{{profile}}';
$settings['allow_authorize_operations'] = FALSE;
$settings['container_yamls'][] = $app_root . '/' . $site_path . '/services.yml';
$settings['trusted_host_patterns'] = [
{{#trusted_host_patterns}}
  '{{.}}',
{{/trusted_host_patterns}}
  '^localhost$',
];
{{#maintenance}}
$settings['maintenance_mode'] = 1;
{{/maintenance}}
{{/drupal8}}
{{^drupal8}}
$drupal_hash_salt = '{{hash_salt}}';
$conf['file_public_path'] = '{{file_public_path}}';
$conf['file_private_path'] = '{{file_private_path}}';
$conf['file_temporary_path'] = '{{file_temp_path}}';
$conf['install_profile'] = '{{profile}}';
$conf['clean_url'] = 1;
{{#maintenance}}
$conf['maintenance_mode'] = 1;
{{/maintenance}}
{{/drupal8}}
{{#settings_extra}}
{{.}}
{{/settings_extra}}

// Extra settings, in this order, when they exist.
foreach ([
{{#includes}}
  '{{.}}',
{{/includes}}
  __DIR__ . '/local.settings.php',
] as $provision_file) {
  if (is_readable($provision_file)) {
    include $provision_file;
  }
}
unset($provision_file);
