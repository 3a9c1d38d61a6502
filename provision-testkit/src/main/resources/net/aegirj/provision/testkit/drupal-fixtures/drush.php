#!/usr/bin/env php
<?php

/**
 * @file
 * Stand-in for Drush in the Provision testkit (not Drush: no code of Drush).
 *
 * It speaks exactly one syntax, chosen when the testkit writes this file:
 * Drush 12 (colon command names, on a Drupal 10 shaped fixture platform) or
 * Drush 8 (dash command names, on a Drupal 7 shaped one), refuses the other,
 * and does real work on the site's real MariaDB database, whose credentials it
 * takes from the site's settings.php as Drupal's bootstrap does (never from the
 * command line). Messages go to stderr, data (links, JSON, tables) to stdout;
 * the exit code is 0 on success and 1 on any failure or refusal.
 */

const FIXTURE_DRUSH_MAJOR = @DRUSH_MAJOR@;
const FIXTURE_DRUSH_VERSION = FIXTURE_DRUSH_MAJOR === 12 ? '12.5.3.0' : '8.4.12';

/** Tables site-install creates, in creation order. */
const FIXTURE_TABLES = [
  'fixture_state' => 'CREATE TABLE fixture_state (name VARCHAR(128) NOT NULL PRIMARY KEY, value TEXT NOT NULL)',
  'users' => 'CREATE TABLE users (uid INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL UNIQUE, '
    . 'mail VARCHAR(254) NOT NULL, pass VARCHAR(255) NOT NULL, created INT NOT NULL, login INT NOT NULL DEFAULT 0)',
  'login_tokens' => 'CREATE TABLE login_tokens (token VARCHAR(64) NOT NULL PRIMARY KEY, uid INT UNSIGNED NOT NULL, '
    . 'created INT NOT NULL, used INT NULL)',
  'cron_runs' => 'CREATE TABLE cron_runs (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ran_at INT NOT NULL)',
  'modules' => 'CREATE TABLE modules (name VARCHAR(64) NOT NULL PRIMARY KEY, type VARCHAR(16) NOT NULL, '
    . 'status TINYINT NOT NULL, version VARCHAR(64) NULL)',
  'updates_applied' => 'CREATE TABLE updates_applied (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, '
    . 'module VARCHAR(64) NOT NULL, update_n INT NOT NULL, applied_at INT NOT NULL, drupal_version VARCHAR(32) NOT NULL)',
];

/**
 * Thrown for every refusal and failure: the message goes to stderr, exit 1.
 */
class FixtureDrushError extends Exception {}

/**
 * The commands, by the name this syntax knows => [handler, allowed options].
 */
function fixture_commands(): array {
  if (FIXTURE_DRUSH_MAJOR === 12) {
    return [
      'site:install' => ['fixture_site_install', ['locale', 'account-mail', 'site-mail', 'site-name', 'account-name', 'db-url']],
      'updatedb' => ['fixture_updatedb', ['cache-clear', 'no-cache-clear', 'post-updates', 'no-post-updates']],
      'updb' => ['fixture_updatedb', ['cache-clear', 'no-cache-clear', 'post-updates', 'no-post-updates']],
      'cache:rebuild' => ['fixture_cache_rebuild', []],
      'user:login' => ['fixture_user_login', ['name', 'uid', 'mail', 'browser', 'no-browser']],
      'core:cron' => ['fixture_cron', []],
      'pm:list' => ['fixture_pm_list', ['status', 'type', 'format', 'core', 'no-core']],
      'state:get' => ['fixture_state_get', ['format']],
      'status' => ['fixture_status', ['format']],
      'version' => ['fixture_version', []],
    ];
  }
  return [
    'site-install' => ['fixture_site_install', ['locale', 'account-mail', 'site-mail', 'site-name', 'account-name', 'db-url']],
    'updatedb' => ['fixture_updatedb', ['cache-clear', 'entity-updates']],
    'updb' => ['fixture_updatedb', ['cache-clear', 'entity-updates']],
    'cache-clear' => ['fixture_cache_rebuild', []],
    'user-login' => ['fixture_user_login', ['name', 'uid', 'mail', 'browser', 'no-browser']],
    'cron' => ['fixture_cron', []],
    'pm-list' => ['fixture_pm_list', ['status', 'type', 'format', 'core', 'no-core']],
    'variable-get' => ['fixture_variable_get', ['format', 'exact']],
    'status' => ['fixture_status', ['format']],
    'version' => ['fixture_version', []],
  ];
}

/** Logs a message to stderr in this Drush's style. */
function fixture_log(string $level, string $message): void {
  if (FIXTURE_DRUSH_MAJOR === 12) {
    fwrite(STDERR, ' [' . $level . '] ' . $message . "\n");
  }
  else {
    $tag = ['notice' => 'ok', 'success' => 'success', 'error' => 'error', 'warning' => 'warning'][$level] ?? $level;
    fwrite(STDERR, str_pad($message, 75) . ' [' . $tag . "]\n");
  }
}

/** Parses argv into [command, positional arguments, options]. */
function fixture_parse_args(array $args): array {
  $options = [];
  $positional = [];
  foreach ($args as $arg) {
    if (preg_match('/^--([a-z][a-z0-9-]*)(?:=(.*))?$/s', $arg, $m)) {
      $options[$m[1]] = array_key_exists(2, $m) ? $m[2] : TRUE;
    }
    elseif ($arg === '-y') {
      $options['yes'] = TRUE;
    }
    elseif ($arg === '-n' && FIXTURE_DRUSH_MAJOR === 12) {
      $options['no-interaction'] = TRUE;
    }
    elseif ($arg === '-V' && FIXTURE_DRUSH_MAJOR === 12) {
      $options['version'] = TRUE;
    }
    elseif ($arg !== '' && $arg[0] === '-') {
      throw new FixtureDrushError(fixture_unknown_option($arg, NULL));
    }
    else {
      $positional[] = $arg;
    }
  }
  $command = array_shift($positional);
  return [$command, $positional, $options];
}

/** The message of this Drush for an option it does not know. */
function fixture_unknown_option(string $option, ?string $command): string {
  if (FIXTURE_DRUSH_MAJOR === 12) {
    return 'The "' . $option . '" option does not exist.';
  }
  return 'Unknown option: ' . $option . '. See `drush help ' . ($command ?? '') . '` for available options.'
    . ' To suppress this error, add the option --strict=0.';
}

/** Whether the command line confirmed (-y / --yes), else asks on stdin. */
function fixture_confirm(string $question): bool {
  global $fixture_options;
  if (!empty($fixture_options['yes']) || !empty($fixture_options['no-interaction'])) {
    if (FIXTURE_DRUSH_MAJOR === 12) {
      fwrite(STDERR, "\n // " . $question . ": yes.\n\n");
    }
    else {
      fwrite(STDOUT, $question . " (y/n): y\n");
    }
    return TRUE;
  }
  fwrite(STDOUT, $question . (FIXTURE_DRUSH_MAJOR === 12 ? ' (yes/no) [yes]:' . "\n > " : ' (y/n): '));
  $answer = fgets(STDIN);
  return $answer !== FALSE && preg_match('/^\s*y(es)?\s*$/i', $answer) === 1;
}

/** The Drupal root: --root, else (Drush 12) the platform holding vendor/bin, else the cwd or above. */
function fixture_root(array $options): string {
  if (isset($options['root'])) {
    if (!is_string($options['root']) || $options['root'] === '') {
      throw new FixtureDrushError('The --root option needs a directory.');
    }
    $root = realpath($options['root']);
    if ($root === FALSE || !fixture_drupal_version($root)) {
      throw new FixtureDrushError('The directory ' . $options['root'] . ' does not contain a valid Drupal installation');
    }
    return $root;
  }
  $candidates = [];
  if (FIXTURE_DRUSH_MAJOR === 12) {
    $candidates[] = dirname(__DIR__, 2);
  }
  for ($dir = getcwd(); $dir !== FALSE && $dir !== ''; $dir = dirname($dir)) {
    $candidates[] = $dir;
    if ($dir === '/') {
      break;
    }
  }
  foreach ($candidates as $dir) {
    if (fixture_drupal_version($dir)) {
      return realpath($dir);
    }
  }
  throw new FixtureDrushError('No Drupal root found: use --root=DIR.');
}

/** The core version of the platform at $root, from core/lib/Drupal.php or includes/bootstrap.inc. */
function fixture_drupal_version(string $root): ?string {
  if (is_file($root . '/core/lib/Drupal.php')
    && preg_match("/const VERSION = '([^']+)';/", file_get_contents($root . '/core/lib/Drupal.php'), $m)) {
    return $m[1];
  }
  if (is_file($root . '/includes/bootstrap.inc')
    && preg_match("/define\('VERSION', '([^']+)'\);/", file_get_contents($root . '/includes/bootstrap.inc'), $m)) {
    return $m[1];
  }
  return NULL;
}

/** Refuses a core this Drush does not support. */
function fixture_check_core(string $root): string {
  $version = fixture_drupal_version($root);
  $major = (int) $version;
  if (FIXTURE_DRUSH_MAJOR === 12 && $major < 10) {
    throw new FixtureDrushError('Drush ' . FIXTURE_DRUSH_VERSION . ' does not support Drupal ' . $version
      . ' at ' . $root . ': Drupal 7 sites need Drush 8.');
  }
  if (FIXTURE_DRUSH_MAJOR === 8 && $major >= 9) {
    throw new FixtureDrushError('Drush ' . FIXTURE_DRUSH_VERSION . ' does not support Drupal ' . $version
      . ' at ' . $root . ': use the Drush of the site (vendor/bin/drush).');
  }
  return $version;
}

/** The host of a --uri value, lower case, without scheme, port, path or trailing dot. */
function fixture_uri_host(string $uri): array {
  $parts = parse_url(preg_match('#^[a-z][a-z0-9+.-]*://#i', $uri) ? $uri : 'http://' . $uri);
  $host = strtolower(rtrim((string) ($parts['host'] ?? ''), '.'));
  return [$host, isset($parts['port']) ? (int) $parts['port'] : NULL];
}

/**
 * The site directory name for a host, as Drupal finds it: sites/sites.php
 * aliases ("<port>.<host>" then "<host>"), then sites/<port>.<host>, then
 * sites/<host>. NULL when none exists.
 */
function fixture_site_dir(string $root, string $host, ?int $port): ?string {
  if (!preg_match('/^[a-z0-9][a-z0-9._-]*$/', $host) || strpos($host, '..') !== FALSE) {
    return NULL;
  }
  $sites = [];
  if (is_file($root . '/sites/sites.php')) {
    $sites = (static function (string $file): array {
      $sites = [];
      include $file;
      return $sites;
    })($root . '/sites/sites.php');
  }
  $names = $port !== NULL ? [$port . '.' . $host, $host] : [$host];
  foreach ($names as $name) {
    if (isset($sites[$name]) && is_string($sites[$name]) && strpos($sites[$name], '..') === FALSE
      && strpos($sites[$name], '/') === FALSE && is_dir($root . '/sites/' . $sites[$name])) {
      return $sites[$name];
    }
    if (is_dir($root . '/sites/' . $name)) {
      return $name;
    }
  }
  return NULL;
}

/** Includes the site's settings.php the way Drupal's bootstrap does and returns its variables. */
function fixture_settings(string $root, string $site_dir): array {
  $file = $root . '/sites/' . $site_dir . '/settings.php';
  if (!is_file($file)) {
    throw new FixtureDrushError('sites/' . $site_dir . '/settings.php is missing: the site has no database settings.');
  }
  if (!defined('DRUPAL_ROOT')) {
    define('DRUPAL_ROOT', $root);
  }
  return (static function (string $app_root, string $site_path) {
    $databases = [];
    $settings = [];
    $config = [];
    $conf = [];
    include $app_root . '/' . $site_path . '/settings.php';
    return ['databases' => $databases, 'settings' => $settings, 'conf' => $conf];
  })($root, 'sites/' . $site_dir);
}

/** Connects with PDO to $databases['default']['default']. */
function fixture_connect(array $settings): array {
  $db = $settings['databases']['default']['default'] ?? NULL;
  if (!is_array($db) || empty($db['database'])) {
    throw new FixtureDrushError('The site\'s settings.php defines no $databases[\'default\'][\'default\'].');
  }
  $driver = ($db['driver'] ?? 'mysql') === 'mysqli' ? 'mysql' : ($db['driver'] ?? 'mysql');
  if ($driver !== 'mysql') {
    throw new FixtureDrushError('The fixture supports the mysql driver only, not ' . $driver . '.');
  }
  $dsn = 'mysql:' . (!empty($db['unix_socket']) ? 'unix_socket=' . $db['unix_socket']
      : 'host=' . ($db['host'] ?? 'localhost') . (!empty($db['port']) ? ';port=' . $db['port'] : ''))
    . ';dbname=' . $db['database'] . ';charset=utf8mb4';
  try {
    $pdo = new PDO($dsn, $db['username'] ?? '', $db['password'] ?? '', [
      PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
      PDO::ATTR_TIMEOUT => 10,
    ]);
  }
  catch (PDOException $e) {
    throw new FixtureDrushError('Cannot connect to the database ' . $db['database'] . ': ' . $e->getMessage());
  }
  return [$pdo, $db];
}

/** The tables of the connected database. */
function fixture_tables(PDO $pdo): array {
  return $pdo->query('SHOW TABLES')->fetchAll(PDO::FETCH_COLUMN);
}

/** Whether the site is installed: fixture_state holds a schema version. */
function fixture_installed(PDO $pdo): bool {
  if (!in_array('fixture_state', fixture_tables($pdo), TRUE)) {
    return FALSE;
  }
  return fixture_state_value($pdo, 'schema_version') !== NULL;
}

function fixture_state_value(PDO $pdo, string $name): ?string {
  $q = $pdo->prepare('SELECT value FROM fixture_state WHERE name = ?');
  $q->execute([$name]);
  $v = $q->fetchColumn();
  return $v === FALSE ? NULL : (string) $v;
}

function fixture_set_state(PDO $pdo, string $name, string $value): void {
  $pdo->prepare('INSERT INTO fixture_state (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)')
    ->execute([$name, $value]);
}

function fixture_require_installed(PDO $pdo, array $db): void {
  if (!fixture_installed($pdo)) {
    throw new FixtureDrushError('Drupal is not installed on the database ' . $db['database']
      . ' (no fixture_state): run ' . (FIXTURE_DRUSH_MAJOR === 12 ? 'site:install' : 'site-install') . ' first.');
  }
}

/**
 * The extensions of the platform (and of the site directory): name => info,
 * from *.info.yml (Drupal 8+) or *.info (Drupal 7) files.
 */
function fixture_extensions(string $root, string $site_dir, string $core_version): array {
  $d7 = (int) $core_version < 8;
  $dirs = $d7
    ? ['modules', 'themes', 'profiles', 'sites/all/modules', 'sites/all/themes', 'sites/' . $site_dir . '/modules', 'sites/' . $site_dir . '/themes']
    : ['core/modules', 'core/themes', 'core/profiles', 'modules', 'themes', 'profiles', 'sites/' . $site_dir . '/modules', 'sites/' . $site_dir . '/themes'];
  $found = [];
  foreach ($dirs as $dir) {
    if (!is_dir($root . '/' . $dir)) {
      continue;
    }
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root . '/' . $dir, FilesystemIterator::SKIP_DOTS));
    $it->setMaxDepth(4);
    foreach ($it as $file) {
      $name = $file->getFilename();
      $suffix = $d7 ? '.info' : '.info.yml';
      if (substr($name, -strlen($suffix)) !== $suffix) {
        continue;
      }
      $machine = substr($name, 0, -strlen($suffix));
      $info = fixture_parse_info(file_get_contents($file->getPathname()), $d7);
      $type = $info['type'] ?? ($d7 ? (strpos($dir, 'themes') !== FALSE ? 'theme' : (strpos($dir, 'profiles') !== FALSE ? 'profile' : 'module')) : 'module');
      $version = $info['version'] ?? NULL;
      if ($version === 'VERSION') {
        $version = $core_version;
      }
      $found[$machine] = [
        'name' => $machine,
        'label' => $info['name'] ?? $machine,
        'type' => $type,
        'package' => $info['package'] ?? ($type === 'theme' ? 'Core' : 'Other'),
        'project' => $info['project'] ?? NULL,
        'version' => $version,
        'path' => substr(dirname($file->getPathname()), strlen($root) + 1),
      ];
    }
  }
  ksort($found);
  return $found;
}

/** Top-level "key: value" (YAML) or "key = value" (Drupal 7 .info) pairs. */
function fixture_parse_info(string $text, bool $d7): array {
  $info = [];
  foreach (preg_split('/\R/', $text) as $line) {
    $re = $d7 ? '/^([a-z_]+)\s*=\s*(.*?)\s*$/' : '/^([a-z_]+):\s*(.*?)\s*$/';
    if (preg_match($re, $line, $m) && $m[2] !== '') {
      $info[$m[1]] = preg_replace('/^([\'"])(.*)\1$/', '$2', $m[2]);
    }
  }
  return $info;
}

/** The system updates the platform defines (system.install): number => description. */
function fixture_updates(string $root, string $core_version): array {
  $file = $root . ((int) $core_version < 8 ? '/modules/system/system.install' : '/core/modules/system/system.install');
  if (!is_file($file)) {
    return [];
  }
  require_once $file;
  $updates = [];
  foreach (get_defined_functions()['user'] as $function) {
    if (preg_match('/^system_update_(\d+)$/', $function, $m)) {
      $doc = (string) (new ReflectionFunction($function))->getDocComment();
      $description = preg_match('/^\s*\/\*\*\s*\R\s*\*\s*(.+)$/m', $doc, $d) ? trim($d[1]) : '';
      $updates[(int) $m[1]] = $description;
    }
  }
  ksort($updates);
  return $updates;
}

/** A random string of $bytes bytes, base64url without padding. */
function fixture_random(int $bytes): string {
  return rtrim(strtr(base64_encode(random_bytes($bytes)), '+/', '-_'), '=');
}

/* ---------------------------------------------------------------- commands */

function fixture_site_install(array $c, array $args, array $options): void {
  if (array_key_exists('db-url', $options)) {
    throw new FixtureDrushError('--db-url is refused by this stand-in: the database credentials come from the site\'s'
      . ' settings.php, never from the command line.');
  }
  if (count($args) > 1) {
    throw new FixtureDrushError('Unexpected arguments: ' . implode(' ', array_slice($args, 1))
      . ' (install form values are not supported by this stand-in).');
  }
  $profile = $args[0] ?? 'standard';
  if (!preg_match('/^[a-z][a-z0-9_]{0,49}$/', $profile) || ($c['extensions'][$profile]['type'] ?? NULL) !== 'profile') {
    throw new FixtureDrushError('The profile ' . $profile . ' does not exist.');
  }
  $locale = $options['locale'] ?? 'en';
  if (!is_string($locale) || !preg_match('/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/i', $locale)) {
    throw new FixtureDrushError('Invalid locale: ' . (is_string($locale) ? $locale : '(none)') . '.');
  }
  $account_name = $options['account-name'] ?? 'admin';
  if (!is_string($account_name) || !preg_match('/^[A-Za-z0-9._@\'-]+( [A-Za-z0-9._@\'-]+)*$/', $account_name) || strlen($account_name) > 60) {
    throw new FixtureDrushError('The username ' . (is_string($account_name) ? $account_name : '') . ' is not valid.');
  }
  $mails = [];
  foreach (['account-mail' => 'admin@example.com', 'site-mail' => 'admin@example.com'] as $option => $default) {
    $mail = $options[$option] ?? $default;
    if (!is_string($mail) || filter_var($mail, FILTER_VALIDATE_EMAIL) === FALSE) {
      throw new FixtureDrushError('The email address ' . (is_string($mail) ? $mail : '') . ' is not valid (--' . $option . ').');
    }
    $mails[$option] = $mail;
  }
  $site_name = $options['site-name'] ?? 'Drupal';
  if (!is_string($site_name) || preg_match('/[\x00-\x1f\x7f]/', $site_name)) {
    throw new FixtureDrushError('The site name is not valid.');
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  $tables = fixture_tables($pdo);
  if ($tables) {
    throw new FixtureDrushError('Drupal is already installed: the database ' . $db['database'] . ' holds tables ('
      . implode(', ', array_slice($tables, 0, 5)) . '). This stand-in never drops tables.');
  }
  if (FIXTURE_DRUSH_MAJOR === 12) {
    fwrite(STDERR, " You are about to:\n * DROP all tables in your '" . $db['database'] . "' database.\n");
    $go = fixture_confirm('Do you want to continue?');
  }
  else {
    $go = fixture_confirm("You are about to DROP all tables in your '" . $db['database'] . "' database. Do you want to continue?");
  }
  if (!$go) {
    throw new FixtureDrushError(FIXTURE_DRUSH_MAJOR === 12 ? 'Cancelled.' : 'Aborting.');
  }
  fixture_log('notice', 'Starting Drupal installation. This takes a while.');
  $created = [];
  try {
    foreach (FIXTURE_TABLES as $table => $ddl) {
      $pdo->exec($ddl);
      $created[] = $table;
    }
    $updates = fixture_updates($c['root'], $c['version']);
    $now = time();
    $password = fixture_random(12);
    $state = [
      'profile' => $profile,
      'locale' => $locale,
      'site_name' => $site_name,
      'site_mail' => $mails['site-mail'],
      'schema_version' => (string) ($updates ? max(array_keys($updates)) : 0),
      'cron_key' => bin2hex(random_bytes(16)),
      'installed_at' => (string) $now,
      'installed_version' => $c['version'],
      'cache_rebuilds' => '0',
    ];
    foreach ($state as $name => $value) {
      fixture_set_state($pdo, $name, $value);
    }
    $pdo->prepare('INSERT INTO users (uid, name, mail, pass, created) VALUES (1, ?, ?, ?, ?)')
      ->execute([$account_name, $mails['account-mail'], password_hash($password, PASSWORD_DEFAULT), $now]);
    $insert = $pdo->prepare('INSERT INTO modules (name, type, status, version) VALUES (?, ?, 1, ?)');
    foreach ($c['extensions'] as $name => $ext) {
      if ($ext['type'] !== 'profile' || $name === $profile) {
        $insert->execute([$name, $ext['type'], $ext['version']]);
      }
    }
  }
  catch (PDOException $e) {
    foreach (array_reverse($created) as $table) {
      $pdo->exec('DROP TABLE IF EXISTS ' . $table);
    }
    throw new FixtureDrushError('Installation failed: ' . $e->getMessage());
  }
  fixture_log(FIXTURE_DRUSH_MAJOR === 12 ? 'success' : 'notice',
    'Installation complete.  User name: ' . $account_name . '  User password: ' . $password);
}

function fixture_updatedb(array $c, array $args, array $options): void {
  if ($args) {
    throw new FixtureDrushError('Unexpected arguments: ' . implode(' ', $args));
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $schema = (int) fixture_state_value($pdo, 'schema_version');
  $pending = array_filter(fixture_updates($c['root'], $c['version']), fn($n) => $n > $schema, ARRAY_FILTER_USE_KEY);
  if (!$pending) {
    fixture_log('success', FIXTURE_DRUSH_MAJOR === 12 ? 'No pending updates.' : 'No database updates required');
    return;
  }
  if (FIXTURE_DRUSH_MAJOR === 12) {
    $rows = [['Module', 'Update ID', 'Type', 'Description']];
    foreach ($pending as $n => $description) {
      $rows[] = ['system', (string) $n, 'hook_update_n', $n . ' - ' . $description];
    }
    fixture_print_table($rows, TRUE);
    $go = fixture_confirm('Do you wish to run the specified pending updates?');
  }
  else {
    $rows = [['Module', 'Update ID', 'Description']];
    foreach ($pending as $n => $description) {
      $rows[] = ['system', (string) $n, $description];
    }
    fixture_print_table($rows, FALSE);
    $go = fixture_confirm('Do you wish to run all pending updates?');
  }
  if (!$go) {
    throw new FixtureDrushError(FIXTURE_DRUSH_MAJOR === 12 ? 'Cancelled.' : 'Aborting.');
  }
  foreach ($pending as $n => $description) {
    $function = 'system_update_' . $n;
    if (FIXTURE_DRUSH_MAJOR === 12) {
      fwrite(STDERR, '>  [notice] Update started: ' . $function . "\n");
    }
    try {
      $message = $function();
    }
    catch (Throwable $e) {
      if (FIXTURE_DRUSH_MAJOR === 12) {
        fwrite(STDERR, '>  [error]  ' . $e->getMessage() . "\n");
        fwrite(STDERR, '>  [error]  Update failed: ' . $function . "\n");
        fixture_log('error', 'Update aborted by: ' . $function);
        fixture_log('error', 'Finished performing updates.');
      }
      else {
        fixture_log('error', 'Failed: ' . get_class($e) . ': ' . $e->getMessage() . ' in ' . $function . '()');
        fixture_log('error', 'The update process was aborted prematurely while running update #' . $n . ' in system.module.');
      }
      throw new FixtureDrushError('');
    }
    $pdo->prepare('INSERT INTO updates_applied (module, update_n, applied_at, drupal_version) VALUES (?, ?, ?, ?)')
      ->execute(['system', $n, time(), $c['version']]);
    fixture_set_state($pdo, 'schema_version', (string) $n);
    if (FIXTURE_DRUSH_MAJOR === 12) {
      if (is_string($message) && $message !== '') {
        fwrite(STDERR, '>  [notice] ' . $message . "\n");
      }
      fwrite(STDERR, '>  [notice] Update completed: ' . $function . "\n");
    }
    else {
      fixture_log('notice', 'Performed update: ' . $function);
    }
  }
  if (FIXTURE_DRUSH_MAJOR === 8) {
    fixture_log('success', "'all' cache was cleared.");
    fixture_log('notice', 'Finished performing updates.');
  }
  else {
    fixture_log('success', 'Finished performing updates.');
  }
}

/** Prints rows as Drush 12 (boxed) or Drush 8 (plain) prints a table, on stdout. */
function fixture_print_table(array $rows, bool $boxed): void {
  $widths = [];
  foreach ($rows as $row) {
    foreach ($row as $i => $cell) {
      $widths[$i] = max($widths[$i] ?? 0, strlen($cell));
    }
  }
  $rule = ' ' . implode(' ', array_map(fn($w) => str_repeat('-', $w + 2), $widths)) . ' ';
  $out = $boxed ? $rule . "\n" : '';
  foreach ($rows as $r => $row) {
    $cells = [];
    foreach ($row as $i => $cell) {
      $cells[] = str_pad($cell, $widths[$i]);
    }
    $out .= ($boxed ? '  ' . implode('   ', $cells) . '  ' : ' ' . implode('  ', $cells)) . "\n";
    if ($boxed && $r === 0) {
      $out .= $rule . "\n";
    }
  }
  print $out . ($boxed ? $rule . "\n" : '');
}

function fixture_cache_rebuild(array $c, array $args, array $options): void {
  if (FIXTURE_DRUSH_MAJOR === 8) {
    if ($args !== ['all']) {
      throw new FixtureDrushError($args ? "'" . implode(' ', $args) . "' cache is not a valid cache type (this stand-in knows 'all')."
        : 'Enter the cache type to clear: this stand-in knows only `cache-clear all`.');
    }
  }
  elseif ($args) {
    throw new FixtureDrushError('Too many arguments to "cache:rebuild" command, expected arguments "".');
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $pdo->exec("UPDATE fixture_state SET value = CAST(value AS UNSIGNED) + 1 WHERE name = 'cache_rebuilds'");
  fixture_log('success', FIXTURE_DRUSH_MAJOR === 12 ? 'Cache rebuild complete.' : "'all' cache was cleared.");
}

function fixture_user_login(array $c, array $args, array $options): void {
  if (count($args) > 1) {
    throw new FixtureDrushError('Too many arguments: ' . implode(' ', $args));
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  foreach (['name', 'mail', 'uid'] as $key) {
    if (isset($options[$key])) {
      $q = $pdo->prepare('SELECT uid FROM users WHERE ' . $key . ' = ?');
      $q->execute([(string) $options[$key]]);
      $uid = $q->fetchColumn();
      if ($uid === FALSE) {
        throw new FixtureDrushError('Unable to load user: ' . $options[$key]);
      }
      break;
    }
  }
  $uid = isset($uid) ? (int) $uid : 1;
  $token = fixture_random(32);
  $now = time();
  $pdo->prepare('INSERT INTO login_tokens (token, uid, created) VALUES (?, ?, ?)')->execute([$token, $uid, $now]);
  $uri = $c['uri'];
  $base = preg_match('#^https?://#i', $uri) ? rtrim($uri, '/') : 'http://' . rtrim($uri, '/');
  $link = $base . '/user/reset/' . $uid . '/' . $now . '/' . $token . '/login';
  if ($args) {
    $link .= '?destination=' . rawurlencode(ltrim($args[0], '/'));
  }
  print $link . "\n";
}

function fixture_cron(array $c, array $args, array $options): void {
  if ($args) {
    throw new FixtureDrushError('Unexpected arguments: ' . implode(' ', $args));
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $pdo->prepare('INSERT INTO cron_runs (ran_at) VALUES (?)')->execute([time()]);
  if (FIXTURE_DRUSH_MAJOR === 12) {
    fixture_log('notice', 'Cron run completed.');
  }
  else {
    fixture_log('success', 'Cron run successful.');
  }
}

function fixture_pm_list(array $c, array $args, array $options): void {
  if ($args) {
    throw new FixtureDrushError('Unexpected arguments: ' . implode(' ', $args));
  }
  $format = $options['format'] ?? 'table';
  if (!in_array($format, ['table', 'json'], TRUE)) {
    throw new FixtureDrushError('The format ' . $format . ' is not supported by this stand-in (table, json).');
  }
  $statuses = array_map('strtolower', explode(',', (string) ($options['status'] ?? 'enabled,disabled')));
  $types = array_map('strtolower', explode(',', (string) ($options['type'] ?? 'module,theme')));
  foreach ($statuses as $s) {
    if (!in_array($s, ['enabled', 'disabled'], TRUE)) {
      throw new FixtureDrushError('Unknown status: ' . $s);
    }
  }
  foreach ($types as $t) {
    if (!in_array($t, ['module', 'theme'], TRUE)) {
      throw new FixtureDrushError('Unknown type: ' . $t);
    }
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $enabled = $pdo->query('SELECT name FROM modules WHERE status = 1')->fetchAll(PDO::FETCH_COLUMN);
  $profile = fixture_state_value($pdo, 'profile');
  $rows = [];
  foreach ($c['extensions'] as $name => $ext) {
    if ($ext['type'] === 'profile' && $name !== $profile) {
      continue;
    }
    // Drupal 7 lists the install profile as a module; Drupal 8+ with its own type.
    $type = $ext['type'] === 'profile' && (int) $c['version'] < 8 ? 'module' : $ext['type'];
    $status = in_array($name, $enabled, TRUE) ? 'enabled' : 'disabled';
    if (!in_array($type, $types, TRUE) || !in_array($status, $statuses, TRUE)
      || (isset($options['no-core']) && $ext['package'] === 'Core')
      || (isset($options['core']) && $ext['package'] !== 'Core')) {
      continue;
    }
    if (FIXTURE_DRUSH_MAJOR === 12) {
      $rows[$name] = [
        'package' => $ext['package'],
        'project' => $ext['project'],
        'display_name' => $ext['label'] . ' (' . $name . ')',
        'name' => $name,
        'type' => $type,
        'path' => $ext['path'],
        'status' => ucfirst($status),
        'version' => $ext['version'],
      ];
    }
    else {
      $rows[$name] = [
        'package' => $ext['package'],
        'name' => $ext['label'] . ' (' . $name . ')',
        'type' => ucfirst($type),
        'status' => ucfirst($status),
        'version' => $ext['version'],
      ];
    }
  }
  if ($format === 'json') {
    print json_encode($rows, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n";
    return;
  }
  $table = [FIXTURE_DRUSH_MAJOR === 12 ? ['Package', 'Name', 'Status', 'Version'] : ['Package', 'Name', 'Type', 'Status', 'Version']];
  foreach ($rows as $row) {
    $table[] = FIXTURE_DRUSH_MAJOR === 12
      ? [$row['package'], $row['display_name'], $row['status'], (string) $row['version']]
      : [$row['package'], $row['name'], $row['type'], $row['status'], (string) $row['version']];
  }
  fixture_print_table($table, FIXTURE_DRUSH_MAJOR === 12);
}

/** The values state:get and variable-get know: Drupal 8+ state key => [Drupal 7 variable, fixture_state name]. */
function fixture_known_values(): array {
  return [
    'system.cron_key' => ['cron_key', 'cron_key'],
    'system.cron_last' => ['cron_last', NULL],
    'install_time' => ['install_time', 'installed_at'],
    'system.site_name' => ['site_name', 'site_name'],
    'system.site_mail' => ['site_mail', 'site_mail'],
    'install_profile' => ['install_profile', 'profile'],
  ];
}

function fixture_value(PDO $pdo, ?string $state_name): ?string {
  if ($state_name === NULL) {
    $last = $pdo->query('SELECT MAX(ran_at) FROM cron_runs')->fetchColumn();
    return $last === NULL || $last === FALSE ? NULL : (string) $last;
  }
  return fixture_state_value($pdo, $state_name);
}

function fixture_state_get(array $c, array $args, array $options): void {
  if (count($args) !== 1) {
    throw new FixtureDrushError('Not enough arguments (missing: "key").');
  }
  $format = $options['format'] ?? 'string';
  if (!in_array($format, ['string', 'json'], TRUE)) {
    throw new FixtureDrushError('The format ' . $format . ' is not supported by this stand-in (string, json).');
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $known = fixture_known_values();
  $value = isset($known[$args[0]]) ? fixture_value($pdo, $known[$args[0]][1]) : NULL;
  if ($format === 'json') {
    print json_encode($value, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n";
  }
  elseif ($value !== NULL) {
    print $value . "\n";
  }
}

function fixture_variable_get(array $c, array $args, array $options): void {
  if (count($args) !== 1) {
    throw new FixtureDrushError('You must specify the name of the variable to get.');
  }
  $format = $options['format'] ?? 'yaml';
  if (!in_array($format, ['yaml', 'json', 'string'], TRUE)) {
    throw new FixtureDrushError('The format ' . $format . ' is not supported by this stand-in (yaml, json, string).');
  }
  [$pdo, $db] = fixture_connect($c['settings']);
  fixture_require_installed($pdo, $db);
  $values = [];
  foreach (fixture_known_values() as [$variable, $state_name]) {
    if ($variable === $args[0] || (empty($options['exact']) && strpos($variable, $args[0]) === 0)) {
      $value = fixture_value($pdo, $state_name);
      if ($value !== NULL) {
        $values[$variable] = $value;
      }
    }
  }
  ksort($values);
  if (!$values) {
    throw new FixtureDrushError('No matching variable found.');
  }
  if (!empty($options['exact']) && $format !== 'yaml') {
    $value = reset($values);
    print ($format === 'json' ? json_encode($value, JSON_UNESCAPED_SLASHES) : $value) . "\n";
  }
  elseif ($format === 'json') {
    print json_encode($values, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n";
  }
  else {
    foreach ($values as $name => $value) {
      print $name . ': ' . ($format === 'string' ? $value : "'" . str_replace("'", "''", $value) . "'") . "\n";
    }
  }
}

function fixture_status(array $c, array $args, array $options): void {
  $format = $options['format'] ?? 'table';
  if (!in_array($format, ['table', 'json'], TRUE)) {
    throw new FixtureDrushError('The format ' . $format . ' is not supported by this stand-in (table, json).');
  }
  $status = [
    'drupal-version' => $c['version'],
    'uri' => $c['uri'],
  ];
  $db = $c['settings']['databases']['default']['default'] ?? [];
  $status['db-driver'] = $db['driver'] ?? NULL;
  $status['db-hostname'] = $db['host'] ?? NULL;
  $status['db-port'] = $db['port'] ?? NULL;
  $status['db-username'] = $db['username'] ?? NULL;
  $status['db-name'] = $db['database'] ?? NULL;
  try {
    [$pdo] = fixture_connect($c['settings']);
    $status['db-status'] = 'Connected';
    if (fixture_installed($pdo)) {
      $status['bootstrap'] = 'Successful';
      $status['install-profile'] = fixture_state_value($pdo, 'profile');
    }
  }
  catch (FixtureDrushError $e) {
    $status['db-status'] = NULL;
  }
  $status['root'] = $c['root'];
  $status['site'] = 'sites/' . $c['site_dir'];
  $status['drush-version'] = FIXTURE_DRUSH_VERSION;
  $status = array_filter($status, fn($v) => $v !== NULL && $v !== '');
  if ($format === 'json') {
    print json_encode($status, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n";
    return;
  }
  $labels = [
    'drupal-version' => 'Drupal version', 'uri' => 'Site URI', 'db-driver' => 'DB driver',
    'db-hostname' => 'DB hostname', 'db-port' => 'DB port', 'db-username' => 'DB username', 'db-name' => 'DB name',
    'db-status' => 'Database', 'bootstrap' => 'Drupal bootstrap', 'install-profile' => 'Install profile',
    'root' => 'Drupal root', 'site' => 'Site path', 'drush-version' => 'Drush version',
  ];
  foreach ($status as $key => $value) {
    print ' ' . str_pad($labels[$key], 16) . ' : ' . $value . "\n";
  }
}

function fixture_version(): void {
  print FIXTURE_DRUSH_MAJOR === 12 ? ' Drush version : ' . FIXTURE_DRUSH_VERSION . " \n"
    : ' Drush Version   :  ' . FIXTURE_DRUSH_VERSION . " \n";
}

/* -------------------------------------------------------------------- main */

function fixture_main(array $argv): int {
  global $fixture_options;
  try {
    [$command, $args, $options] = fixture_parse_args(array_slice($argv, 1));
    $fixture_options = $options;
    if (!empty($options['version']) && $command === NULL) {
      print FIXTURE_DRUSH_MAJOR === 12 ? 'Drush Commandline Tool ' . FIXTURE_DRUSH_VERSION . "\n"
        : ' Drush Version   :  ' . FIXTURE_DRUSH_VERSION . " \n";
      return 0;
    }
    if ($command === NULL) {
      throw new FixtureDrushError('No command given: this stand-in has no command list.');
    }
    $commands = fixture_commands();
    if (!isset($commands[$command])) {
      throw new FixtureDrushError(FIXTURE_DRUSH_MAJOR === 12 ? 'Command "' . $command . '" is not defined.'
        : "The drush command '" . $command . "' could not be found.  Run `drush cache-clear drush` to clear the"
          . ' commandfile cache if you have installed new extensions.');
    }
    [$handler, $allowed] = $commands[$command];
    $global = ['root', 'uri', 'yes', 'no-interaction'];
    foreach (array_keys($options) as $option) {
      if (!in_array($option, $global, TRUE) && !in_array($option, $allowed, TRUE)) {
        throw new FixtureDrushError(fixture_unknown_option('--' . $option, $command));
      }
    }
    if ($handler === 'fixture_version') {
      fixture_version();
      return 0;
    }
    $root = fixture_root($options);
    $version = fixture_check_core($root);
    $uri = isset($options['uri']) && is_string($options['uri']) && $options['uri'] !== '' ? $options['uri'] : 'default';
    [$host, $port] = fixture_uri_host($uri);
    $site_dir = fixture_site_dir($root, $host, $port);
    if ($site_dir === NULL) {
      throw new FixtureDrushError('Could not find a Drupal site for the URI ' . $uri . ' in ' . $root . '/sites.');
    }
    $context = [
      'root' => $root,
      'version' => $version,
      'uri' => $uri,
      'site_dir' => $site_dir,
      'settings' => fixture_settings($root, $site_dir),
    ];
    $context['extensions'] = fixture_extensions($root, $site_dir, $version);
    $handler($context, $args, $options);
    return 0;
  }
  catch (FixtureDrushError $e) {
    if ($e->getMessage() !== '') {
      fixture_log('error', $e->getMessage());
    }
    return 1;
  }
  catch (Throwable $e) {
    fixture_log('error', get_class($e) . ': ' . $e->getMessage());
    return 1;
  }
}

exit(fixture_main($argv));
